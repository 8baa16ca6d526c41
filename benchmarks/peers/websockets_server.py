"""Python's websockets: an echo server on asyncio, one process, compression off.

    python3 websockets_server.py [port]     port 0: the kernel picks one; the port is printed
"""
import asyncio
import signal
import sys

import websockets


async def echo(connection, *_):
    try:
        async for message in connection:
            await connection.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(number, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, compression=None, max_size=64 * 1024 * 1024,
                                  ping_interval=None) as server:
        print(f"listening on port {server.sockets[0].getsockname()[1]}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
