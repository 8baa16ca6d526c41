#!/usr/bin/env bash
# The plaintext CPU per request of an app without tracing, built from the headers of a revision
# before tracing existed and from the tree's, and of an app with tracing (unsampled, and every
# request sampled): benchmarks/tracing_server.cpp, each server pinned to core 0, wrk to core 1,
# pipelined (16 requests per write) and at 64 connections, configurations alternated in each
# round; prints the median CPU µs per request of each.
#
#   bash benchmarks/tracing_cpu.sh [--before REVISION] [--rounds N] [--duration SECONDS]
#
# Needs g++, wrk, taskset, python3, libsimdjson-dev, Debian's node-llhttp sources, git.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tree="$(dirname "$here")"
before_revision=942ab70
rounds=5
duration=5
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before_revision="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "usage: tracing_cpu.sh [--before REVISION] [--rounds N] [--duration SECONDS]" >&2; exit 2 ;;
  esac
done
work="$tree/build-tracing-cpu"
mkdir -p "$work/before"
git -C "$tree" archive "$before_revision" include | tar -x -C "$work/before"

llhttp_sources=/usr/share/llhttp
llhttp_include=/usr/share/include/llhttp
flags=(-std=c++20 -O2 -DNDEBUG -DASIO_STANDALONE -DASIO_NO_DEPRECATED -pthread)
if [ ! -f "$work/llhttp.a" ]; then
  for source in api http llhttp; do
    gcc -O2 -DLLHTTP_STRICT_MODE=1 -I "$llhttp_include" -c "$llhttp_sources/$source.c" -o "$work/$source.o"
  done
  ar rcs "$work/llhttp.a" "$work"/api.o "$work"/http.o "$work"/llhttp.o
fi
g++ "${flags[@]}" -I "$work/before/include" -I "$llhttp_include" "$here/tracing_server.cpp" "$work/llhttp.a" \
  -lsimdjson -o "$work/tracing_server_before"
g++ "${flags[@]}" -I "$tree/include" -I "$llhttp_include" "$here/tracing_server.cpp" "$work/llhttp.a" \
  -lsimdjson -o "$work/tracing_server_after"

log="$work/server.log"
results="$work/results.tsv"
: >"$results"
run_one() {  # binary mode label
  : >"$log"
  taskset -c 0 "$1" 0 "$2" >"$log" 2>&1 &
  local pid=$! port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$log")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:$port/plaintext" >/dev/null 2>&1 || true  # warm-up
  for scenario in pipelined c64; do
    local script=() ticks_before ticks_after output
    [ "$scenario" = pipelined ] && script=(-s "$here/lua/pipelined.lua")
    ticks_before="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    output="$(taskset -c 1 wrk -t1 -c64 -d"${duration}s" "${script[@]}" "http://127.0.0.1:$port/plaintext" 2>&1)"
    ticks_after="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$output")"
    python3 -c "import sys; b,a,hz,n=map(float,sys.argv[1:]); print(f'$3\t$scenario\t{(a-b)/hz/n*1e6:.3f}\t{n:.0f}')" \
      "$ticks_before" "$ticks_after" "$(getconf CLK_TCK)" "$requests" >>"$results"
  done
  kill -TERM "$pid"
  wait "$pid" || true
  grep -h "exported" "$log" || true
}
for round in $(seq 1 "$rounds"); do
  run_one "$work/tracing_server_before" plain "before: no tracing"
  run_one "$work/tracing_server_after" plain "after: no tracing"
  run_one "$work/tracing_server_after" unsampled "after: tracing, unsampled"
  run_one "$work/tracing_server_after" sampled "after: tracing, all sampled"
done
python3 - "$results" <<'PYTHON'
import collections, statistics, sys
figures = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, scenario, cpu, requests = line.rstrip("\n").split("\t")
    figures[(label, scenario)].append(float(cpu))
print("| server | pipelined CPU µs/req | c=64 CPU µs/req |")
print("|---|---|---|")
for label in dict.fromkeys(label for label, _ in figures):
    print(f"| {label} | {statistics.median(figures[(label, 'pipelined')]):.3f} | "
          f"{statistics.median(figures[(label, 'c64')]):.3f} |")
PYTHON
