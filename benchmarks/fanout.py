#!/usr/bin/env python3
"""The fan-out benchmark: N subscribers (WebSocket or Server-Sent Events) of one hub topic on the
benchmark server, one message published at a time; the time until the last subscriber has it
(and the median subscriber), and the server's memory per idle subscriber.

    python3 benchmarks/fanout.py --build build-bench [--connections 10000] [--rounds 10]
                                 [--threads 1,2] [--kinds ws,sse] [--servers NAME=PATH,...]

--servers compares server binaries side by side in one run (by default the build's
benchmark_server): each combination is run once per server, alternating. The server runs on core
0 with one thread, on both cores with two; the load (fanout_load, plain Asio, one thread) on core
1. Memory is the server's VmRSS (and glibc's heap in use) once every subscriber is subscribed and
idle, less what it was before the connections, divided by N. Prints a table.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys


def start(binary, threads):
    cores = "0" if threads == 1 else "0,1"
    server = subprocess.Popen(["taskset", "-c", cores, binary, "0", str(threads)], stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    found = re.match(r"listening on port (\d+)", line)
    if not found:
        server.kill()
        raise SystemExit(f"fanout.py: {binary} did not start: {line!r}")
    return server, int(found.group(1))


def measure(binary, load, threads, kind, connections, rounds):
    server, port = start(binary, threads)
    try:
        result = subprocess.run(["taskset", "-c", "1", load, str(port), str(connections), kind, str(rounds)],
                                capture_output=True, text=True, timeout=600)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if result.returncode != 0:
        raise SystemExit(f"fanout.py: fanout_load failed: {result.stderr}")
    memory = {}
    lasts, medians = [], []
    errors = 0
    for line in result.stdout.splitlines():
        if found := re.match(r"memory (\w+) rss (\d+) heap (\d+)", line):
            memory[found.group(1)] = (int(found.group(2)), int(found.group(3)))
        elif found := re.match(r"round \d+ last_us (\d+) median_us (\d+)", line):
            lasts.append(int(found.group(1)) / 1000)
            medians.append(int(found.group(2)) / 1000)
        elif found := re.match(r"errors (\d+)", line):
            errors = int(found.group(1))
    per = lambda when, which: (memory[when][which] - memory["before"][which]) / connections
    return {
        "last": statistics.median(lasts), "last_min": min(lasts), "median": statistics.median(medians),
        "rss": per("idle", 0), "heap": per("idle", 1), "rss_after": per("after", 0), "heap_after": per("after", 1),
        "errors": errors,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--kinds", default="ws,sse")
    parser.add_argument("--servers", default="")
    options = parser.parse_args()
    binaries = os.path.join(options.build, "benchmarks")
    load = os.path.join(binaries, "fanout_load")
    servers = [tuple(each.split("=", 1)) for each in options.servers.split(",") if each] or \
        [("asyncrest", os.path.join(binaries, "benchmark_server"))]
    rows = []
    for kind in options.kinds.split(","):
        for threads in (int(each) for each in options.threads.split(",")):
            for name, binary in servers:
                figures = measure(binary, load, threads, kind, options.connections, options.rounds)
                rows.append((name, threads, kind, figures))
                print(f"  {name} {kind} threads {threads}: {figures}", file=sys.stderr)
    print(f"== {options.connections} subscribers, {options.rounds} rounds each; machine: {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| server | kind | threads | last has it (median of rounds) | fastest round | median subscriber |"
          " RSS per idle subscriber | heap per idle subscriber | after the rounds: RSS, heap | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, threads, kind, f in rows:
        print(f"| {name} | {kind} | {threads} | {f['last']:.1f} ms | {f['last_min']:.1f} ms | {f['median']:.1f} ms |"
              f" {f['rss']:,.0f} B | {f['heap']:,.0f} B | {f['rss_after']:,.0f} B, {f['heap_after']:,.0f} B |"
              f" {f['errors']} |")


if __name__ == "__main__":
    main()
