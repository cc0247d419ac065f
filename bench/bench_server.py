"""Server under load: 64 concurrent clients vs the library's in-process capacity.

    python bench/bench_server.py [--clients 64] [--requests 640] [--format mp3]
                                 [--workers 2] [--ramp 1.0]

Starts the real app on 127.0.0.1 in its own process (uvicorn; ``--workers`` synthesis
processes as ``tts-agents serve`` uses by default; rate limits lifted so the bench measures
synthesis, not the limiter), so the load generator does not share its interpreter, then:
  * in-process capacity: the same short requests through TTSAgent with the same
    concurrency, in one process and in ``--workers`` processes (no HTTP);
  * server: N POST /v1/audio/speech requests from C concurrent keep-alive clients, reading
    each streamed body; time to first byte (TTFB) per request, errors, requests per second.
    Clients join over ``--ramp`` seconds, as load generators ramp up; a burst of C requests
    at once is measured separately.
Prints p50/p95/p99 TTFB and throughput as a ratio of in-process capacity (targets from
issue 5: 0 errors, p99 TTFB <= 150 ms, throughput >= 0.8x).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import httpx

from loopback import server_process
from tts_agents import TTSAgent
from tts_agents.server import ServerSettings

TEXT = "Hello, this is a short answer from the speech server."
KEY = "bench-key"


async def in_process(requests: int, clients: int, fmt: str) -> float:
    """Requests per second through one TTSAgent, ``clients`` at a time."""
    async with TTSAgent() as agent:
        await agent.generate_speech("warm up", format=fmt)
        gate = asyncio.Semaphore(clients)

        async def one() -> None:
            async with gate:
                await agent.generate_speech(TEXT, format=fmt)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return requests / (time.perf_counter() - start)


def _in_process_job(requests: int, clients: int, fmt: str) -> float:
    return asyncio.run(in_process(requests, clients, fmt))


def in_processes(workers: int, requests: int, clients: int, fmt: str) -> float:
    """Requests per second of ``workers`` processes each running its share."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        share = requests // workers
        rates = pool.map(_in_process_job, [share] * workers, [clients // workers] * workers,
                         [fmt] * workers)
        return sum(rates)


async def against_server(
    url: str, requests: int, clients: int, fmt: str, ramp: float
) -> dict[str, object]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": "tts-1", "input": TEXT, "voice": "alloy", "response_format": fmt}
    ttfb: list[float] = []
    errors: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        await client.post("/v1/audio/speech", json=body, headers=headers)  # warm up

        async def worker(delay: float) -> None:
            await asyncio.sleep(delay)
            while not queue.empty():
                queue.get_nowait()
                start = time.perf_counter()
                try:
                    async with client.stream(
                        "POST", "/v1/audio/speech", json=body, headers=headers
                    ) as response:
                        first = True
                        async for _ in response.aiter_raw():
                            if first:
                                ttfb.append(time.perf_counter() - start)
                                first = False
                        if response.status_code != 200:
                            errors.append(str(response.status_code))
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)

        start = time.perf_counter()
        await asyncio.gather(*(worker(ramp * i / clients) for i in range(clients)))
        elapsed = time.perf_counter() - start
    return {"rate": requests / elapsed, "ttfb": sorted(ttfb), "errors": errors}


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))] * 1000


def report(name: str, result: dict[str, object], capacity: float, single: float) -> None:
    ttfb, rate = result["ttfb"], result["rate"]
    assert isinstance(ttfb, list) and isinstance(rate, float)
    print(f"{name}:")
    print(f"  throughput : {rate:.1f} requests/s = {rate / single:.2f}x one process, "
          f"{rate / capacity:.2f}x the worker processes (target >= 0.8)")
    print(f"  TTFB       : p50 {percentile(ttfb, 0.5):.0f} ms, p95 {percentile(ttfb, 0.95):.0f} "
          f"ms, p99 {percentile(ttfb, 0.99):.0f} ms (target p99 <= 150 ms); "
          f"mean {statistics.mean(ttfb) * 1000:.0f} ms")
    print(f"  errors     : {len(result['errors'])} {sorted(set(result['errors']))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--format", default="mp3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ramp", type=float, default=1.0)
    args = parser.parse_args()

    single = asyncio.run(in_process(args.requests // 2, args.clients, args.format))
    capacity = single
    if args.workers > 1:
        capacity = in_processes(args.workers, args.requests, args.clients, args.format)
    settings = ServerSettings(
        api_keys=(KEY,),
        max_concurrent=args.clients,
        max_queue=args.clients,
        max_streams_per_key=args.clients,  # every simulated client shares the bench's one key
        requests_per_minute_per_key=10**9,
        requests_per_minute_per_ip=10**9,
        synthesis_workers=args.workers,
    )
    with server_process(settings) as url:
        ramped = asyncio.run(
            against_server(url, args.requests, args.clients, args.format, args.ramp)
        )
        burst = asyncio.run(against_server(url, args.clients, args.clients, args.format, 0))
    print(f"{args.requests} requests, {args.clients} concurrent clients, {args.format}, "
          f"{len(TEXT)}-character text, {args.workers} synthesis workers")
    print(f"in-process capacity: one process {single:.1f} requests/s, "
          f"{args.workers} processes {capacity:.1f} requests/s")
    report(f"server, clients joining over {args.ramp:g} s", ramped, capacity, single)
    report(f"server, {args.clients} requests at once", burst, capacity, single)


if __name__ == "__main__":
    main()
