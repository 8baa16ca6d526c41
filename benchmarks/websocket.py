#!/usr/bin/env python3
"""The WebSocket echo benchmark: messages per second and server CPU per message, asyncrest side by
side with Boost.Beast's websocket and Python's websockets, in alternating rounds.

    python3 benchmarks/websocket.py --build build-benchmarks [--rounds 3] [--seconds 5]
                                    [--connections 64] [--sizes 64,16384] [--peers asyncrest,beast,python]
                                    [--servers NAME=PATH,...]

--servers adds asyncrest benchmark_server binaries under names of their own (a build before a
change and one after, say), run as peers in the same alternating rounds; --peers may name them.

Each server runs on core 0 with one thread, the load (websocket_load, plain Asio) on core 1. CPU is
the server's utime + stime over the run, from /proc. Prints a table of medians.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def peer_command(peer, build, servers):
    binaries = os.path.join(build, "benchmarks")
    if peer in servers:
        return [servers[peer]], "/ws"
    if peer == "asyncrest":
        return [os.path.join(binaries, "benchmark_server")], "/ws"
    if peer == "beast":
        return [os.path.join(binaries, "peer_beast_websocket")], "/"
    if peer == "python":
        return ["/usr/bin/python3", os.path.join(HERE, "peers", "websockets_server.py")], "/"
    raise SystemExit(f"websocket.py: unknown peer {peer}")


def start(command):
    server = subprocess.Popen(["taskset", "-c", "0", *command, "0"], stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    found = re.match(r"listening on port (\d+)", line)
    if not found:
        server.kill()
        raise SystemExit(f"websocket.py: {command[0]} did not start: {line!r}")
    return server, int(found.group(1))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(build, servers, peer, size, connections, seconds):
    command, path = peer_command(peer, build, servers)
    server, port = start(command)
    try:
        load = os.path.join(build, "benchmarks", "websocket_load")
        before = cpu_seconds(server.pid)
        output = subprocess.run(["taskset", "-c", "1", load, str(port), str(connections), str(size), str(seconds), path],
                                capture_output=True, text=True, check=True).stdout
        after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    found = re.match(r"messages (\d+) seconds ([\d.]+) errors (\d+)", output)
    messages, elapsed, errors = int(found.group(1)), float(found.group(2)), int(found.group(3))
    rate = messages / elapsed
    cpu_us = (after - before) / messages * 1e6 if messages else float("nan")
    return rate, cpu_us, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sizes", default="64,16384")
    parser.add_argument("--peers", default="asyncrest,beast,python")
    parser.add_argument("--servers", default="")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    servers = dict(each.split("=", 1) for each in options.servers.split(",") if each)
    peers = options.peers.split(",")
    peers += [name for name in servers if name not in peers]
    results = {}
    for round_number in range(1, options.rounds + 1):
        for size in sizes:
            for peer in peers:
                rate, cpu_us, errors = measure(options.build, servers, peer, size, options.connections,
                                               options.seconds)
                results.setdefault((peer, size), []).append((rate, cpu_us, errors))
                print(f"  round {round_number} {peer:9} {size:6} B  {rate:10.0f} msg/s  cpu {cpu_us:6.2f} us/msg"
                      f"  errors {errors}", file=sys.stderr)
    print(f"== medians of {options.rounds} rounds, {options.connections} connections, {options.seconds} s each; "
          f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print("| size | peer | messages/s | CPU µs/message | CPU vs Beast | errors |")
    print("|---|---|---:|---:|---:|---:|")
    for size in sizes:
        beast = statistics.median(cpu for _, cpu, _ in results.get(("beast", size), [(0, float("nan"), 0)]))
        for peer in peers:
            runs = results[(peer, size)]
            rate = statistics.median(rate for rate, _, _ in runs)
            cpu = statistics.median(cpu for _, cpu, _ in runs)
            errors = sum(errors for _, _, errors in runs)
            print(f"| {size} B | {peer} | {rate:,.0f} | {cpu:.2f} | {cpu / beast:.2f}x | {errors} |")


if __name__ == "__main__":
    main()
