"""`market serve`: the HTTP API in one process, or in several sharing one port.

With `workers > 1` the parent process starts that many server processes (spawned, not forked: the
parent may hold embedded servers' handles and threads) and only supervises them. Each binds the
same host and port with SO_REUSEPORT, so the kernel spreads incoming connections over them, and
each runs the whole app: its own pools, its own relay, allocator loop, settlement sweeps and
webhook delivery worker. Those loops are built to run in any number of processes at once (the
relay sequences under an advisory lock and appends idempotently; allocation runs are claimed
with a lease; webhook deliveries and payouts are claimed with FOR UPDATE SKIP LOCKED; the sweeps
are idempotent, and the settlement sweep's partitions of employers are claimed with advisory
locks, so N processes settle a backlog together), so N processes behave as N `market serve` instances behind a load balancer.

Signals: SIGTERM or SIGINT to the parent is passed on, once, as SIGTERM to every server process,
which finishes its requests and cleanup (aiohttp's graceful shutdown); the parent then exits.
Server processes sit in their own process group, so a terminal's Ctrl-C reaches only the parent,
and on Linux they get SIGTERM if the parent dies. If a server process exits on its own, the
others are stopped and `serve` exits with status 1: a supervisor (systemd, Kubernetes) restarts
the whole service rather than running it short-handed unnoticed.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import socket
from multiprocessing.connection import wait

from market import logs
from market.config import Settings

log = logging.getLogger("market.serve")

# How long a server process may take to finish its requests and cleanup after SIGTERM.
STOP_TIMEOUT_SECONDS = 30.0


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, as aiohttp would bind it (SO_REUSEADDR, not SO_REUSEPORT), so
    that a port another server listens on, with SO_REUSEPORT or not, is an OSError here."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def serve(settings: Settings, workers: int = 1, *, sock: socket.socket | None = None, banner: str | None = None) -> int:
    """Serve until signalled; the exit status. `sock`: already bound to the port (one process);
    `banner`: printed on stdout, once, when the server listens."""
    if workers <= 1:
        _run_app(settings, reuse_port=False, sock=sock, banner=banner)
        return 0
    return _supervise(settings, workers, banner)


def _run_app(settings: Settings, *, reuse_port: bool, sock: socket.socket | None = None,
             banner: str | None = None) -> None:
    from aiohttp import web

    from market.app import create_app

    app = create_app(settings)
    if settings.gc_freeze:
        app.on_startup.append(_freeze_heap)  # last: after the app's own start-up
    # aiohttp calls `print` once every site listens; the logs stay JSON, this one line is for people.
    announce = (lambda *_: print(banner, flush=True)) if banner else None
    if sock is not None:
        web.run_app(app, sock=sock, print=announce, access_log=None)
    else:
        web.run_app(app, host=settings.host, port=settings.port, print=announce, access_log=None,
                    reuse_port=reuse_port or None)


async def _freeze_heap(app) -> None:
    """Take what start-up made (modules, OR-Tools, the catalogue, pools: some 120,000 objects) out
    of the garbage collector's sight. A full collection walks every tracked object and stops the
    event loop meanwhile: about 60 ms for the started app on this machine, long enough to set the
    p99 of every request and stream event in flight. Frozen objects are never collected, which is
    right for these: they live as long as the process. MARKET_GC_FREEZE=false leaves the collector
    as Python sets it."""
    gc.collect()
    gc.freeze()
    log.info("start-up objects frozen out of the garbage collector", extra={"objects": gc.get_freeze_count()})


def _server_process(settings: Settings, banner: str | None) -> None:
    """The body of one server process."""
    os.setpgid(0, 0)  # out of the terminal's process group: only the parent hears Ctrl-C
    _die_with_parent()
    logs.configure(settings.log_level, settings.log_json)
    log.info("server process started", extra={"pid": os.getpid()})
    _run_app(settings, reuse_port=True, banner=banner)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the parent dies, so a killed parent leaves no servers behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _supervise(settings: Settings, workers: int, banner: str | None = None) -> int:
    context = multiprocessing.get_context("spawn")
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    # The first server process prints the banner when it listens; the others say nothing.
    processes = [context.Process(target=_server_process, args=(settings, banner if index == 0 else None),
                                 name=f"market-serve-{index}")
                 for index in range(workers)]
    status = 0
    try:
        for process in processes:
            process.start()
        log.info("server processes started", extra={"workers": workers, "pids": [p.pid for p in processes]})
        while not stopping:
            ended = wait([p.sentinel for p in processes], timeout=0.5)
            if ended and not stopping:
                dead = [p for p in processes if not p.is_alive()]
                log.error("a server process exited; stopping the others",
                          extra={"pids": [p.pid for p in dead], "exit_codes": [p.exitcode for p in dead]})
                status = 1
                break
    finally:
        _stop(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("server processes stopped", extra={"exit_codes": [p.exitcode for p in processes]})
    return status


def _stop(processes: list[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        if process.pid is not None:
            process.join(STOP_TIMEOUT_SECONDS)
        if process.is_alive():
            log.warning("server process did not stop in time; killing it", extra={"pid": process.pid})
            process.kill()
            process.join()
