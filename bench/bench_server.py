"""Server under load: 64 concurrent clients vs the library's in-process capacity.

    python bench/bench_server.py [--clients 64] [--requests 640] [--format mp3]

Starts the real app on 127.0.0.1 (uvicorn in a thread; queue sized for the clients and
rate limits lifted so the bench measures synthesis, not the limiter), then:
  * in-process capacity: the same short requests through TTSAgent with the same concurrency;
  * server: N POST /v1/audio/speech requests from C concurrent keep-alive clients, reading
    each streamed body; time to first byte (TTFB) per request, errors, requests per second.
Prints p50/p95/p99 TTFB and throughput as a ratio of in-process capacity (targets from
issue 5: 0 errors, p99 TTFB <= 150 ms, throughput >= 0.8x).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from tts_agents import TTSAgent
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

TEXT = "Hello, this is a short answer from the speech server."
KEY = "bench-key"


async def in_process(requests: int, clients: int, fmt: str) -> float:
    async with TTSAgent() as agent:
        await agent.generate_speech("warm up", format=fmt)
        gate = asyncio.Semaphore(clients)

        async def one() -> None:
            async with gate:
                await agent.generate_speech(TEXT, format=fmt)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return requests / (time.perf_counter() - start)


async def against_server(url: str, requests: int, clients: int, fmt: str) -> dict[str, object]:
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

        async def worker() -> None:
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
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return {"rate": requests / elapsed, "ttfb": sorted(ttfb), "errors": errors}


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--format", default="mp3")
    args = parser.parse_args()

    capacity = asyncio.run(in_process(args.requests, args.clients, args.format))
    settings = ServerSettings(
        api_keys=(KEY,),
        max_queue=args.clients * 2,
        requests_per_minute_per_key=10**9,
        requests_per_minute_per_ip=10**9,
    )
    with running_server(create_app(settings)) as url:
        result = asyncio.run(against_server(url, args.requests, args.clients, args.format))
    ttfb = result["ttfb"]
    assert isinstance(ttfb, list) and isinstance(result["rate"], float)
    print(f"{args.requests} requests, {args.clients} concurrent clients, {args.format}, "
          f"{len(TEXT)}-character text")
    print(f"in-process capacity : {capacity:.1f} requests/s")
    print(f"server throughput   : {result['rate']:.1f} requests/s "
          f"({result['rate'] / capacity:.2f}x of in-process; target >= 0.8)")
    print(f"TTFB                : p50 {percentile(ttfb, 0.5):.0f} ms, "
          f"p95 {percentile(ttfb, 0.95):.0f} ms, p99 {percentile(ttfb, 0.99):.0f} ms "
          f"(target p99 <= 150 ms); mean {statistics.mean(ttfb) * 1000:.0f} ms")
    print(f"errors              : {len(result['errors'])} {sorted(set(result['errors']))}")


if __name__ == "__main__":
    main()
