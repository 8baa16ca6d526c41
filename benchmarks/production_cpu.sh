#!/usr/bin/env bash
# The plaintext CPU per request of benchmarks/production_server.cpp in each of its configurations
# (none, each production middleware alone, all of them): one binary per configuration, each
# server pinned to core 0 and wrk to core 1, pipelined (16 requests per write) and at 64
# connections, configurations alternated in each round; prints the median CPU µs per request of
# each and its ratio to the first configuration's. Spans go to a local sink that answers 200
# (python3, pinned to core 1 with wrk); log lines to /dev/null through the log's writer thread.
#
#   bash benchmarks/production_cpu.sh [--configurations "none rate_limit ..."] [--before REVISION]
#                                     [--rounds N] [--duration SECONDS] [--no-build]
#
# Configurations: none rate_limit metrics access_log tracing all tracing_unsampled all_sampled_10
# (default: the first six; see production_server.cpp). --before REVISION also builds each
# configuration from that revision's headers and measures both in the same rounds, side by side
# ("before: NAME"). --no-build keeps the binaries of a previous run where they exist (in
# build-production-cpu/).
#
# Needs g++, wrk, taskset, python3, libsimdjson-dev, Debian's node-llhttp sources, git.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tree="$(dirname "$here")"
configurations="none rate_limit metrics access_log tracing all"
before_revision=""
rounds=5
duration=5
build=true
while [ $# -gt 0 ]; do
  case "$1" in
    --configurations) configurations="$2"; shift 2 ;;
    --before) before_revision="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --no-build) build=false; shift ;;
    *) sed -n '2,/^# Needs/p' "$0" >&2; exit 2 ;;
  esac
done
number_of() {  # the configuration's number in production_server.cpp
  case "$1" in
    none) echo 0 ;; rate_limit) echo 1 ;; metrics) echo 2 ;; access_log) echo 3 ;;
    tracing) echo 4 ;; all) echo 5 ;; tracing_unsampled) echo 6 ;; all_sampled_10) echo 7 ;;
    *) echo "production_cpu.sh: unknown configuration $1" >&2; exit 2 ;;
  esac
}

work="$tree/build-production-cpu"
mkdir -p "$work"
llhttp_sources=/usr/share/llhttp
llhttp_include=/usr/share/include/llhttp
flags=(-std=c++20 -O2 -DNDEBUG -DASIO_STANDALONE -DASIO_NO_DEPRECATED -pthread)
if [ ! -f "$work/llhttp.a" ]; then
  for source in api http llhttp; do
    gcc -O2 -DLLHTTP_STRICT_MODE=1 -I "$llhttp_include" -c "$llhttp_sources/$source.c" -o "$work/$source.o"
  done
  ar rcs "$work/llhttp.a" "$work"/api.o "$work"/http.o "$work"/llhttp.o
fi
trees=("after:$tree/include")
if [ -n "$before_revision" ]; then
  if [ "$build" = true ] || [ ! -d "$work/before/include" ]; then
    rm -rf "$work/before"
    mkdir -p "$work/before"
    git -C "$tree" archive "$before_revision" include | tar -x -C "$work/before"
  fi
  trees=("before:$work/before/include" "${trees[@]}")
fi
servers=()  # label|binary
for configuration in $configurations; do
  for entry in "${trees[@]}"; do
    side="${entry%%:*}" include="${entry#*:}"
    binary="$work/production_server_${side}_$configuration"
    if [ "$build" = true ] || [ ! -x "$binary" ]; then
      echo "building $binary" >&2
      g++ "${flags[@]}" -DPRODUCTION_CONFIGURATION="$(number_of "$configuration")" -I "$include" \
        -I "$llhttp_include" "$here/production_server.cpp" "$work/llhttp.a" -lsimdjson -o "$binary"
    fi
    label="$configuration"
    [ -n "$before_revision" ] && label="$side: $configuration"
    servers+=("$label|$binary")
  done
done

# The collector: accepts OTLP posts and answers 200, on keep-alive connections.
sink_log="$work/sink.log"
taskset -c 1 python3 - >"$sink_log" 2>&1 <<'PYTHON' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits for the exporter's delayed ACK
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    def log_message(self, *arguments):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(f"sink on port {server.server_address[1]}", flush=True)
server.serve_forever()
PYTHON
sink_pid=$!
trap 'kill -TERM "$sink_pid" 2>/dev/null || true' EXIT
sink_port=""
for _ in $(seq 1 100); do
  sink_port="$(sed -n 's/^sink on port \([0-9]*\).*/\1/p' "$sink_log")"
  [ -n "$sink_port" ] && break
  sleep 0.1
done
export COLLECTOR_URL="http://127.0.0.1:$sink_port/v1/traces"

log="$work/server.log"
results="$work/results.tsv"
: >"$results"
run_one() {  # binary label
  : >"$log"
  taskset -c 0 "$1" 0 >/dev/null 2>"$log" &
  local pid=$! port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$log")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  taskset -c 1 wrk -t1 -c64 -d1s "http://127.0.0.1:$port/plaintext" >/dev/null 2>&1 || true  # warm-up
  for scenario in pipelined c64; do
    local script=() ticks_before ticks_after output requests
    [ "$scenario" = pipelined ] && script=(-s "$here/lua/pipelined.lua")
    ticks_before="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    output="$(taskset -c 1 wrk -t1 -c64 -d"${duration}s" "${script[@]}" "http://127.0.0.1:$port/plaintext" 2>&1)"
    ticks_after="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
    requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$output")"
    python3 -c "import sys; b,a,hz,n=map(float,sys.argv[1:]); print(f'$2\t$scenario\t{(a-b)/hz/n*1e6:.3f}\t{n:.0f}')" \
      "$ticks_before" "$ticks_after" "$(getconf CLK_TCK)" "$requests" >>"$results"
  done
  kill -TERM "$pid"
  wait "$pid" || true
  sed -n "s/^\(spans\|log lines\)/$2: \1/p" "$log" >&2
}
for round in $(seq 1 "$rounds"); do
  for server in "${servers[@]}"; do
    run_one "${server#*|}" "${server%%|*}"
  done
done
python3 - "$results" <<'PYTHON'
import collections, statistics, sys
figures = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, scenario, cpu, requests = line.rstrip("\n").split("\t")
    figures[(label, scenario)].append(float(cpu))
labels = list(dict.fromkeys(label for label, _ in figures))
if not labels:
    sys.exit(0)  # --rounds 0: built, nothing measured
median = {key: statistics.median(values) for key, values in figures.items()}
base = {side: labels[0] if side == "" else f"{side}: {labels[0].split(': ', 1)[1]}"
        for side in {label.split(": ", 1)[0] if ": " in label else "" for label in labels}}
print("| server | pipelined CPU µs/req | ratio | c=64 CPU µs/req | ratio |")
print("|---|---:|---:|---:|---:|")
for label in labels:
    side = label.split(": ", 1)[0] if ": " in label else ""
    reference = base[side]
    cells = []
    for scenario in ("pipelined", "c64"):
        value = median[(label, scenario)]
        cells += [f"{value:.3f}", f"{value / median[(reference, scenario)]:.2f}×"]
    print(f"| {label} | " + " | ".join(cells) + " |")
PYTHON
