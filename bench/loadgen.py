"""A bounded HTTP load generator for loopback servers: N concurrent clients, a request budget and a time cap."""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

RequestFn = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class LoadResult:
    name: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _run(
    base_url: str, name: str, request: RequestFn, clients: int, total: int, max_seconds: float, token: str | None
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    remaining = total
    deadline = time.perf_counter() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30, headers=headers) as client:

        async def worker(worker_id: int) -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                started = time.perf_counter()
                try:
                    response = await request(client, worker_id)
                    failed = response.status_code >= 400
                except httpx.TransportError:  # e.g. the server dropped a kept-alive connection: count it, go on
                    failed = True
                latencies.append((time.perf_counter() - started) * 1000)
                errors += failed

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return LoadResult(name, clients, len(latencies), errors, elapsed, statistics.median(ordered or [0.0]), p99)


def run_load(
    base_url: str,
    name: str,
    request: RequestFn,
    clients: int,
    total: int,
    max_seconds: float = 20.0,
    token: str | None = None,
) -> LoadResult:
    return asyncio.run(_run(base_url, name, request, clients, total, max_seconds, token))
