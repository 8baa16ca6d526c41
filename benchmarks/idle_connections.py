#!/usr/bin/python3
"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, makes one request on each, holds them
open and idle, and prints the server's resident memory (VmRSS of PID) before and after. With
--tls the connections are HTTPS (the certificate is not checked).

    idle_connections.py PORT COUNT PID [--tls]
"""
import asyncio
import ssl
import sys

REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_one(port, tls):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return writer


async def main(port, count, pid, secure):
    tls = None
    if secure:
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    before = rss_kib(pid)
    writers = []
    while len(writers) < count:
        batch = min(500, count - len(writers))
        writers += await asyncio.gather(*(open_one(port, tls) for _ in range(batch)))
    await asyncio.sleep(1.0)
    after = rss_kib(pid)
    per_connection = (after - before) * 1024 / count
    print(f"  {count} idle connections: RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB, "
          f"{per_connection:.0f} bytes ({per_connection / 1024:.2f} KiB) per connection")
    for writer in writers:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), "--tls" in sys.argv[4:]))
