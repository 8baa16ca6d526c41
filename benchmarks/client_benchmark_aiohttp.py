#!/usr/bin/env python3
"""The aiohttp client doing what client_benchmark does: `connections` tasks share one
ClientSession (a pool of as many connections) and send `requests` GETs in total.

    python3 client_benchmark_aiohttp.py URL [connections] [requests]
"""
import asyncio
import sys
import time

import aiohttp


async def main(url: str, connections: int, requests: int) -> None:
    remaining = requests
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        failures += 1
            except aiohttp.ClientError:
                failures += 1

    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        seconds = time.perf_counter() - start
    print(f"aiohttp client: {requests} requests, {connections} connections, {seconds:.2f} s, "
          f"{requests / seconds:.0f} requests/s, {failures} failed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64,
                     int(sys.argv[3]) if len(sys.argv) > 3 else 20000))
