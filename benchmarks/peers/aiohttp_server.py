#!/usr/bin/python3
"""aiohttp (Debian python3-aiohttp) on the default asyncio loop, one process, no access log.
Serves every scenario, with the 200-route table from github_routes.txt.

    aiohttp_server.py [port]      port 0: the kernel picks one; the port is printed
"""
import asyncio
import pathlib
import re
import sys

from aiohttp import web

ROUTES_FILE = pathlib.Path(__file__).resolve().parent.parent / "github_routes.txt"


async def plaintext(request):
    return web.Response(text="Hello, World!")


async def json_hello(request):
    return web.json_response({"message": "Hello, World!"})


async def echo(request):
    return web.json_response(await request.json())


async def path_echo(request):
    return web.Response(text="/".join(request.match_info.values()))


def make_app():
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_hello)
    app.router.add_post("/echo", echo)
    for line in ROUTES_FILE.read_text().splitlines():
        if not re.match(r"^[A-Z]+ /", line):
            continue
        verb, path = line.split()
        app.router.add_route(verb, path, path_echo)
    return app


async def main(port):
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]
    print(f"listening on port {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8080))
    except KeyboardInterrupt:
        pass
