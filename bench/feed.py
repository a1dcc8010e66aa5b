"""Live-feed fan-out: a new order reaching 1,000 open event streams.

    python -m bench.feed                       # 1,000 streams, 10 orders, one server process
    python -m bench.feed --streams 1000 --orders 10 --workers 2

It creates a scratch database (--admin-url), inserts one employer and N workers living near the
order site (so the new shift fits every one of them), starts `market serve` on it, and opens one
`GET /v1/workers/me/events` stream per worker (its own TCP connection) from two listener processes.
Once every stream is open it posts the orders one at a time, a second apart, and times each
`shift.opened` event's arrival on each stream:

    from the POST's response  a lower bound of commit → receipt (the commit precedes the response)
    from the POST's sending   an upper bound (it includes the POST itself)

and prints p50/p95/p99/max of both, and how many of the expected deliveries arrived.

What is measured: an event's time is read when its bytes reach the listener's event loop (the
protocol's data_received, before any parsing), so the figures are server → socket → listener
loop, including any wait of the listener for a core (the listeners share the machine with the
server, PostgreSQL and Redis). Every stream parses every chunk it gets (HTTP chunked framing, SSE
lines, the JSON data of each `shift.opened`): an event counts as delivered once per stream, and
repeats or ids out of order on a stream are reported. The listeners are bare asyncio protocols,
not aiohttp clients, so that their own parsing takes little of the two cores. Target: p99 ≤ 100 ms.
The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bench._support import (
    CENTRE_LAT, CENTRE_LON, DEFAULT_ADMIN_URL, DEFAULT_REDIS_URL, create_database, drop_database, free_port,
    insert_employers, insert_workers, percentile, progress, start_service, stop, wait_ready,
)
from bench.http import order_body

LISTENER_PROCESSES = 2
DELIVERY_WAIT_SECONDS = 10.0


# -- listeners (their own processes) ---------------------------------------------------------------
#
# Each stream is a bare asyncio protocol on its own connection: it sends the GET, then reads the
# response as HTTP/1.1 chunks and the chunks as SSE lines. Time is taken when the bytes are handed
# to the protocol (data_received), before any parsing, so what is measured is the arrival at the
# listener's event loop; the parse after it does not count. Every `shift.opened` event on every
# stream is parsed (its JSON data decoded, its order id read) and counted. An aiohttp client per
# stream did the same, but spent several times the CPU per line on the two cores the server needs.

class _SseStream(asyncio.Protocol):
    def __init__(self, request: bytes, listener: _Listener) -> None:
        self.request = request
        self.listener = listener
        self.buffer = b""        # bytes not yet parsed (headers, a partial chunk or a partial line)
        self.headers_done = False
        self.chunk_left = 0      # body bytes left in the current HTTP chunk
        self.body = b""          # de-chunked body not yet split into complete lines
        self.kind: bytes | None = None
        self.last_id = -1
        self.orders_seen: set[str] = set()
        self.opened = False
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        self.buffer += data
        if not self.headers_done:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status or b"transfer-encoding: chunked" not in head.lower():
                raise RuntimeError(f"stream refused or not chunked: {head[:200]!r}")
            self.headers_done, self.buffer = True, rest
        self._dechunk()
        lines = self.body.split(b"\n")
        self.body = lines.pop()  # an incomplete last line waits for more
        for line in lines:
            if line.startswith(b"id:"):
                event_id = int(line[3:])
                if event_id <= self.last_id:
                    self.listener.out_of_order += 1
                self.last_id = event_id
            elif line.startswith(b"event:"):
                self.kind = line[6:].strip()
            elif line.startswith(b"data:"):
                if self.kind == b"shift.opened":
                    order_id = json.loads(line[5:])["order_id"]
                    if order_id in self.orders_seen:
                        self.listener.repeated += 1
                    else:
                        self.orders_seen.add(order_id)
                        self.listener.received.append((order_id, arrived))
                self.kind = None
            elif not self.opened and line.startswith(b"retry:"):
                self.opened = True
                self.listener.stream_opened()

    def _dechunk(self) -> None:
        buffer, position = self.buffer, 0
        while position < len(buffer):
            if self.chunk_left:
                take = min(self.chunk_left, len(buffer) - position)
                self.body += buffer[position:position + take]
                self.chunk_left -= take
                position += take
                continue
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                break
            if line_end == position:  # the CRLF that ends a chunk
                position += 2
                continue
            size = int(buffer[position:line_end], 16)
            position = line_end + 2
            if size == 0:  # the last chunk: the server ended the stream
                break
            self.chunk_left = size
        self.buffer = buffer[position:]

    def connection_lost(self, error: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Listener:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received: list[tuple[str, float]] = []  # (order id, arrival), each order once per stream
        self.repeated = 0      # an order's event seen again on the same stream
        self.out_of_order = 0  # an id not above the stream's previous one
        self.opened = 0
        self.all_open = asyncio.Event()

    def stream_opened(self) -> None:
        self.opened += 1
        if self.opened == self.expected:
            self.all_open.set()


async def _listen(base: str, tokens: list[str], control) -> tuple[list[tuple[str, float]], int, int, int]:
    """(order id, arrival) of every `shift.opened` received, each once per stream; how many streams
    the server ended; how many events came twice on a stream; how many came out of id order."""
    loop = asyncio.get_running_loop()
    url = urlsplit(base)
    listener = _Listener(len(tokens))
    streams: list[_SseStream] = []
    transports = []
    for token in tokens:
        request = (f"GET /v1/workers/me/events HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
                   f"Accept: text/event-stream\r\n\r\n").encode()
        transport, stream = await loop.create_connection(lambda: _SseStream(request, listener),  # noqa: B023 (awaited here)
                                                          url.hostname, url.port)
        transports.append(transport)
        streams.append(stream)
    ended_early = [asyncio.ensure_future(stream.closed) for stream in streams]
    await asyncio.wait([asyncio.ensure_future(listener.all_open.wait()), *ended_early],
                       return_when=asyncio.FIRST_COMPLETED)
    if not listener.all_open.is_set():
        raise RuntimeError(f"a stream closed before every stream opened ({listener.opened} of {len(tokens)} open)")
    control.send("open")
    await loop.run_in_executor(None, control.recv)  # "stop"
    ended = sum(stream.closed.done() for stream in streams)  # the server ended it (a client would reconnect)
    for transport in transports:
        transport.close()
    return listener.received, ended, listener.repeated, listener.out_of_order


def _listener_main(base: str, tokens: list[str], control) -> None:
    control.send(asyncio.run(_listen(base, tokens, control)))


# -- the run ----------------------------------------------------------------------------------------

async def populate(database: str, args: argparse.Namespace) -> tuple[str, list[str]]:
    import asyncpg

    from market import db

    rng = random.Random(args.seed)
    conn = await asyncpg.connect(database)
    try:
        await db.upgrade(conn)
        employer, = await insert_employers(conn, 1, rng)
        workers = await insert_workers(conn, args.streams, rng)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return employer.token, [w.token for w in workers]


async def post_orders(base: str, token: str, count: int, pause: float) -> dict[str, tuple[float, float]]:
    """order id → (sent, answered), monotonic seconds."""
    timings = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        for index in range(count):
            body = order_body(f"压测直播订单{index}", lat=CENTRE_LAT, lon=CENTRE_LON, district="500103",
                              shifts=[(3 + index % 10, 8 + index % 3)], headcount=5)
            sent = time.monotonic()
            async with session.post(f"{base}/v1/orders", json=body) as response:
                answer = await response.json()
                answered = time.monotonic()
            if response.status != 201:
                raise RuntimeError(f"posting failed: {response.status} {answer}")
            timings[answer["id"]] = (sent, answered)
            await asyncio.sleep(pause)
    return timings


def report(timings: dict[str, tuple[float, float]], received: list[tuple[str, float]], streams: int,
           args: argparse.Namespace) -> None:
    after_response = sorted((arrived - timings[order][1]) * 1000 for order, arrived in received if order in timings)
    after_send = sorted((arrived - timings[order][0]) * 1000 for order, arrived in received if order in timings)
    post_ms = sorted((answered - sent) * 1000 for sent, answered in timings.values())
    expected = streams * len(timings)
    print(f"\n## Live feed: {streams:,} streams, {len(timings)} orders, {args.workers} server process(es)\n")
    print(f"delivered {len(after_response):,} of {expected:,} expected `shift.opened` events "
          f"({len(after_response) / expected:.1%}); POST /v1/orders itself: median {percentile(post_ms, 0.5):.0f} ms\n")
    print("| latency to receipt, measured from | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in (("the POST's response (≤ from commit)", after_response),
                         ("the POST's sending (≥ from commit)", after_send)):
        print(f"| {name} | {percentile(values, 0.5):.0f} | {percentile(values, 0.95):.0f} "
              f"| {percentile(values, 0.99):.0f} | {values[-1] if values else float('nan'):.0f} |")
    # One slow order (the machine busy at that moment) sets p99 on its own: show each order's spread.
    per_order: dict[str, list[float]] = {}
    for order, arrived in received:
        if order in timings:
            per_order.setdefault(order, []).append((arrived - timings[order][1]) * 1000)
    spreads = [f"{min(values):.0f}–{max(values):.0f}" for order, values in
               sorted(per_order.items(), key=lambda item: timings[item[0]][0])]
    print(f"\neach order, first–last stream, ms from the POST's response: {', '.join(spreads)}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--database-name", default=f"market_bench_feed_{os.getpid()}")
    parser.add_argument("--workers", type=int, default=1, help="server processes (market serve --workers)")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between posts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-log", type=Path)
    args = parser.parse_args(argv)

    async def prepare():
        database = await create_database(args.admin_url, args.database_name)
        return database, *(await populate(database, args))

    database, employer_token, worker_tokens = asyncio.run(prepare())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = start_service(database, args.redis_url, port, args.workers, log_file=args.server_log)
    listeners = []
    try:
        asyncio.run(wait_ready(f"{base}/readyz", service))
        context = multiprocessing.get_context("spawn")
        share = -(-len(worker_tokens) // LISTENER_PROCESSES)
        for index in range(LISTENER_PROCESSES):
            mine, theirs = context.Pipe()
            process = context.Process(target=_listener_main,
                                      args=(base, worker_tokens[index * share:(index + 1) * share], theirs))
            process.start()
            listeners.append((process, mine))
        progress(f"opening {len(worker_tokens)} streams")
        for _, control in listeners:
            if control.recv() != "open":
                raise RuntimeError("a listener failed")
        progress(f"all streams open; posting {args.orders} orders")
        timings = asyncio.run(post_orders(base, employer_token, args.orders, args.pause))
        time.sleep(min(DELIVERY_WAIT_SECONDS, 2.0 + args.pause))
        received: list[tuple[str, float]] = []
        ended = repeated = out_of_order = 0
        for _, control in listeners:
            control.send("stop")
        for process, control in listeners:
            theirs, their_ended, their_repeated, their_out_of_order = control.recv()
            received += theirs
            ended += their_ended
            repeated += their_repeated
            out_of_order += their_out_of_order
            process.join()
        report(timings, received, len(worker_tokens), args)
        if ended:
            print(f"\n{ended} streams were ended by the server before the end (see --server-log)")
        if repeated or out_of_order:
            print(f"\n{repeated} events came twice on a stream, {out_of_order} out of id order")
    finally:
        for process, _ in listeners:
            if process.is_alive():
                process.kill()
        stop(service)
        asyncio.run(drop_database(args.admin_url, args.database_name))


if __name__ == "__main__":
    main()
