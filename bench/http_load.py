"""A load client in a process of its own: sends prepared HTTP requests all at once and prints
each one's latency.

The latency of a request is measured from the moment its connection is opened until its whole
response has been read. The client runs on one asyncio loop in its own process. That way, the
figures hold nothing of what the benchmark's other parts cost: the loopback Slack fake that
receives the daemon's posts, the bookkeeping, Python threads competing for one interpreter lock.

Input on stdin, JSON: ``{"port": N, "requests": [{"method", "path", "headers", "body"}]}``,
where ``body`` is Latin-1 text. Output on stdout, JSON: ``[{"status": int, "seconds": float}]``,
in the order of the requests. Stdlib only, so anyone can run it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


async def _one(port: int, spec: dict[str, Any], start: asyncio.Event) -> dict[str, Any]:
    body = str(spec.get("body", "")).encode("latin-1")
    head = [f"{spec.get('method', 'GET')} {spec['path']} HTTP/1.1", "Host: 127.0.0.1"]
    head += [f"{name}: {value}" for name, value in dict(spec.get("headers", {})).items()]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    raw = "\r\n".join(head).encode("latin-1") + body
    await start.wait()
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    response = await reader.read()  # the server closes: Connection: close
    seconds = time.perf_counter() - began
    writer.close()
    status_line = response.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 else 0
    return {"status": status, "seconds": seconds}


async def _all(port: int, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(_one(port, spec, start)) for spec in requests]
    await asyncio.sleep(0)  # every task is waiting on the event: release them together
    start.set()
    return list(await asyncio.gather(*tasks))


def main() -> int:
    spec = json.load(sys.stdin)
    results = asyncio.run(_all(int(spec["port"]), list(spec["requests"])))
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
