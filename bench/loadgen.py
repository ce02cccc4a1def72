"""An open-loop load generator: sends at a fixed rate, whatever the server's pace.

``wrk`` (Debian has no ``wrk2``) is closed-loop: each connection waits for its answer before
sending again, so a slow server slows the client and hides its own queueing ("coordinated
omission"). This generator issues request ``i`` at ``start + i / rate`` whether or not earlier
answers have arrived, and measures each latency from that moment, so time spent waiting for a
free connection counts.

It runs as its own process (``python -m bench.loadgen ...``) and prints one JSON line. It speaks
plain HTTP/1.1 with keep-alive over asyncio streams (uvloop when installed), opening up to
``--max-connections`` connections, and only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench.stats import summarize_ms


class Pool:
    """Keep-alive connections to one host; a request waits when all are busy and at the cap."""

    def __init__(self, host: str, port: int, cap: int) -> None:
        self.host, self.port, self.cap = host, port, cap
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.free = asyncio.Condition()

    async def acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self.free:
            while not self.idle and self.opened >= self.cap:
                await self.free.wait()
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def release(self, conn: tuple | None) -> None:
        async with self.free:
            if conn is None:
                self.opened -= 1
            else:
                self.idle.append(conn)
            self.free.notify()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await _read_chunked(reader)
    return status, body, headers.get("connection", "").lower() != "close"


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def build_request(args: argparse.Namespace, body: bytes) -> bytes:
    """One POST request with the bench key."""
    head = (
        f"POST {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    )
    if args.key:
        head += f"Authorization: Bearer {args.key}\r\n"
    return (head + "\r\n").encode() + body


class Run:
    """Counters and latencies of one open-loop run."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.service_times: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.acknowledged: list[str] = []


async def one_request(
    pool: Pool, run: Run, payload: bytes, call_id: str, issued: float, timeout: float
) -> None:
    """Send one request; latency counts from when it was issued, connection wait included."""
    conn = None
    try:
        conn = await asyncio.wait_for(pool.acquire(), timeout)
        sent = time.perf_counter()
        reader, writer = conn
        writer.write(payload)
        status, _body, keep = await asyncio.wait_for(read_response(reader), timeout)
        done = time.perf_counter()
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        name = type(exc).__name__
        run.errors[name] = run.errors.get(name, 0) + 1
        if conn is not None:
            conn[1].close()
            await pool.release(None)
        return
    run.latencies.append(done - issued)
    run.service_times.append(done - sent)
    run.statuses[str(status)] = run.statuses.get(str(status), 0) + 1
    if status == 200:
        run.acknowledged.append(call_id)
    if keep:
        await pool.release(conn)
    else:
        conn[1].close()
        await pool.release(None)


async def drive(args: argparse.Namespace, templates: list[str]) -> dict:
    """Send ``rate * duration`` requests at their scheduled times and wait for every answer."""
    pool = Pool(args.host, args.port, args.max_connections)
    run = Run()
    total = int(args.rate * args.duration)
    tasks = []
    start = time.perf_counter() + 0.1
    late = 0
    for i in range(total):
        scheduled = start + i / args.rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.002:
            late += 1
        # The event loop's timers have millisecond granularity: latency counts from the moment
        # the request was issued (waits for a free connection included), and late_sends says
        # how often the generator itself fell more than 2 ms behind its schedule.
        issued = time.perf_counter()
        call_id = f"{args.prefix}-{i}"
        body = ('{"call_id":"' + call_id + '",' + templates[i % len(templates)]).encode()
        payload = build_request(args, body)
        tasks.append(
            asyncio.ensure_future(one_request(pool, run, payload, call_id, issued, args.timeout))
        )
    send_end = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for reader_writer in pool.idle:
        reader_writer[1].close()
    return {
        "rate_target": args.rate,
        "requests": total,
        "duration_s": round(elapsed, 3),
        "send_duration_s": round(send_end - start, 3),
        "achieved_rps": round(len(run.latencies) / elapsed, 1),
        "statuses": run.statuses,
        "errors": run.errors,
        "late_sends": late,
        "connections_opened": pool.opened,
        "latency": summarize_ms(run.latencies),
        "service_time": summarize_ms(run.service_times),
        "acknowledged": run.acknowledged if args.ids else len(run.acknowledged),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/triage")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of sending")
    parser.add_argument("--max-connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--key", default="")
    parser.add_argument("--prefix", required=True, help="call-id prefix of this run")
    parser.add_argument(
        "--templates",
        required=True,
        help="JSON file: a list of body tails, each the rest of a JSON object after call_id",
    )
    parser.add_argument("--ids", action="store_true", help="list acknowledged call ids")
    parser.add_argument("--out", help="write the JSON result to this file instead of stdout")
    args = parser.parse_args(argv)
    if args.rate * args.duration > 100_000:
        parser.error("bounded runs only: at most 100,000 requests")
    return args


def main(argv: list[str] | None = None) -> None:
    """Run once and print the result as one JSON line."""
    args = parse_args(argv)
    with open(args.templates) as handle:
        templates = json.load(handle)
    started = time.time()
    try:
        import uvloop

        result = uvloop.run(drive(args, templates))
    except ImportError:
        result = asyncio.run(drive(args, templates))
    result["started_at"] = started
    text = json.dumps(result) + "\n"
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
