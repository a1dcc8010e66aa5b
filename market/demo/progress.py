"""A progress bar on stderr, no dependency: one redrawn line on a terminal, one line per stage
otherwise (logs and CI stay readable). Silent when given no stream (tests)."""
from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, total: int, stream: TextIO | None = sys.stderr) -> None:
        self.total = max(1, total)
        self.done = 0
        self.stage = ""
        self.stream = stream
        self.started = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def begin(self, stage: str) -> None:
        """A new stage: printed as its own line when the stream is not a terminal."""
        self.stage = stage
        if self.stream is not None and not self.tty:
            self.stream.write(f"[{self._elapsed()}] {stage}\n")
            self.stream.flush()
        self._draw()

    def advance(self, units: int = 1) -> None:
        self.done = min(self.total, self.done + units)
        self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw()
        if self.stream is not None and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:d}:{seconds % 60:02d}"

    def _draw(self) -> None:
        if self.stream is None or not self.tty:
            return
        filled = WIDTH * self.done // self.total
        bar = "█" * filled + "·" * (WIDTH - filled)
        self.stream.write(f"\r{bar} {100 * self.done // self.total:3d}% {self._elapsed()} {self.stage[:50]:<50}")
        self.stream.flush()
