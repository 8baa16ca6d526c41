#!/usr/bin/python3
"""Prints the medians of run.sh's raw measurements as a Markdown table, with ratios to asyncrest,
the targets checked, and the file and stream figures (against nginx's file, per streamed piece).

    report.py RESULTS.tsv
"""
import csv
import statistics
import sys
from collections import defaultdict

STREAM_PIECES = 1000  # the pieces of GET /stream (server.cpp)

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
figures = defaultdict(lambda: defaultdict(list))
for row in rows:
    key = (row["scenario"], int(row["connections"]), row["peer"])
    for field in ("rps", "p50_ms", "p99_ms", "cpu_us_per_request", "errors"):
        figures[key][field].append(float(row[field]))

peers = list(dict.fromkeys(row["peer"] for row in rows))
scenarios = list(dict.fromkeys(row["scenario"] for row in rows))
connection_counts = sorted({int(row["connections"]) for row in rows})


def median(key, field):
    values = figures[key][field]
    return statistics.median(values) if values else None


print("| scenario | conn. | server | requests/s | vs asyncrest | p50 ms | p99 ms | CPU µs/req | vs asyncrest | errors |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for scenario in scenarios:
    for connections in connection_counts:
        reference = (scenario, connections, "asyncrest")
        for peer in peers:
            key = (scenario, connections, peer)
            if key not in figures:
                continue
            rps = median(key, "rps")
            cpu = median(key, "cpu_us_per_request")
            ref_rps = median(reference, "rps") if reference in figures else None
            ref_cpu = median(reference, "cpu_us_per_request") if reference in figures else None
            rps_ratio = f"{rps / ref_rps:.2f}" if ref_rps else ""
            cpu_ratio = f"{cpu / ref_cpu:.2f}" if ref_cpu else ""
            errors = int(sum(figures[key]["errors"]))
            # wrk records one latency per pipelined batch, and its percentiles then often read 0.
            latency = [f"{value:.2f}" if value else "n/a" for value in (median(key, "p50_ms"), median(key, "p99_ms"))]
            print(f"| {scenario} | {connections} | {peer} | {rps:,.0f} | {rps_ratio} | {latency[0]} | "
                  f"{latency[1]} | {cpu:.2f} | {cpu_ratio} | {errors} |")

served = {row["peer"] for row in rows}
print()
print("Not served (see benchmarks/README.md): " + "; ".join(
    f"{peer}: {', '.join(s for s in scenarios if not any((s, c, peer) in figures for c in connection_counts))}"
    for peer in peers
    if any(not any((s, c, peer) in figures for c in connection_counts) for s in scenarios)) or "none")

print()
print("Targets (medians, same run):")


def check(label, value, limit, better_when_lower):
    if value is None or limit is None:
        print(f"  - {label}: not measured")
        return
    met = value <= limit if better_when_lower else value >= limit
    print(f"  - {label}: {value:,.2f} vs {limit:,.2f}: {'met' if met else 'MISSED'}")


for connections in connection_counts:
    for scenario in ("plaintext", "json"):
        ours = (scenario, connections, "asyncrest")
        floor = (scenario, connections, "floor")
        beast = (scenario, connections, "beast")
        aiohttp = (scenario, connections, "aiohttp")
        if ours not in figures:
            continue
        if floor in figures:
            check(f"{scenario} c={connections}: CPU µs/req <= 1.15x the floor's", median(ours, "cpu_us_per_request"),
                  1.15 * median(floor, "cpu_us_per_request"), True)
        if beast in figures:
            check(f"{scenario} c={connections}: requests/s >= Beast's", median(ours, "rps"), median(beast, "rps"), False)
        if aiohttp in figures:
            check(f"{scenario} c={connections}: requests/s >= 5x aiohttp's", median(ours, "rps"),
                  5 * median(aiohttp, "rps"), False)
    ours = ("pipelined", connections, "asyncrest")
    floor = ("pipelined", connections, "floor")
    if ours in figures and floor in figures:
        check(f"pipelined c={connections}: requests/s >= 85% of the floor's", median(ours, "rps"),
              0.85 * median(floor, "rps"), False)
    ours = ("https", connections, "asyncrest")
    nginx = ("https", connections, "nginx")
    if ours in figures and nginx in figures:
        check(f"https c={connections}: CPU µs/req <= nginx's", median(ours, "cpu_us_per_request"),
              median(nginx, "cpu_us_per_request"), True)

# Bodies: the file and the static files against nginx's (reported, not targets), the stream per piece.
lines = []
for connections in connection_counts:
    ours = ("file", connections, "asyncrest")
    nginx = ("file", connections, "nginx")
    if ours in figures:
        line = (f"  - file c={connections}: asyncrest {median(ours, 'rps'):,.0f} requests/s "
                f"({median(ours, 'rps') / 1024:,.2f} GiB/s of body), {median(ours, 'cpu_us_per_request'):,.1f} µs CPU per request")
        if nginx in figures:
            line += (f"; nginx {median(nginx, 'rps'):,.0f} requests/s, {median(nginx, 'cpu_us_per_request'):,.1f} µs; "
                     f"asyncrest/nginx: requests/s {median(ours, 'rps') / median(nginx, 'rps'):.2f}x, "
                     f"CPU per request {median(ours, 'cpu_us_per_request') / median(nginx, 'cpu_us_per_request'):.2f}x")
        lines.append(line)
    for scenario, size in (("static4k", "4 KiB"), ("static1m", "1 MiB")):
        ours = (scenario, connections, "asyncrest")
        nginx = (scenario, connections, "nginx")
        if ours in figures:
            line = (f"  - static file of {size} c={connections}: asyncrest static_files {median(ours, 'rps'):,.0f} requests/s, "
                    f"{median(ours, 'cpu_us_per_request'):,.1f} µs CPU per request")
            if nginx in figures:
                line += (f"; nginx {median(nginx, 'rps'):,.0f} requests/s, {median(nginx, 'cpu_us_per_request'):,.1f} µs; "
                         f"asyncrest/nginx: requests/s {median(ours, 'rps') / median(nginx, 'rps'):.2f}x, CPU per request "
                         f"{median(ours, 'cpu_us_per_request') / median(nginx, 'cpu_us_per_request'):.2f}x")
            lines.append(line)
    ours = ("stream", connections, "asyncrest")
    if ours in figures:
        cpu = median(ours, "cpu_us_per_request")
        nanoseconds_per_piece = cpu * 1000 / STREAM_PIECES
        lines.append(f"  - stream c={connections}: asyncrest {median(ours, 'rps'):,.0f} requests/s, {cpu:,.1f} µs CPU per "
                     f"request, {nanoseconds_per_piece:,.0f} ns per piece ({STREAM_PIECES:,} pieces of 64 bytes)")
if lines:
    print()
    print("Bodies (medians, same run):")
    print("\n".join(lines))
