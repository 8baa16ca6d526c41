#!/usr/bin/env bash
# Builds asyncrest's benchmark server and every peer, then measures them side by side: each
# server pinned to core 0, wrk (one thread) pinned to core 1, peers alternated within each round,
# several rounds; prints medians and ratios to asyncrest. Also measures resident memory per idle
# keep-alive connection and the hello example's compile time and size.
#
#   bash benchmarks/run.sh             full: 5 rounds of 5 s per scenario and connection count
#   bash benchmarks/run.sh --quick     2 rounds of 2 s, for a first look
#
# Options: --rounds N, --duration SECONDS, --connections "64 1024", --peers "asyncrest floor ...",
# --scenarios "plaintext limited shed json pipelined param echo echo_typed file stream https static4k static1m" (default: all),
# --build-dir DIR (default: build-benchmarks in the tree), --no-extras (no memory/compile figures),
# --results FILE (raw measurements, tab-separated; default: in the build directory),
# --baseline PATH (a benchmark_server built from another commit, measured as the peer "baseline").
# The peer "metrics" is benchmark_server with the request_metrics middleware and GET /metrics.
# Needs: cmake, g++, wrk, taskset, python3 (and openssl for https); peers need libboost-dev,
# libcpp-httplib-dev, librestinio-dev, nginx and python3-aiohttp
# (`bash cmake/install-dependencies.sh --benchmarks`). A peer that is missing is skipped with a note.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
source "$here/scenarios.sh"

rounds=5
duration=5
connections="64 1024"
peers="asyncrest floor beast httplib restinio aiohttp nginx"
build_dir="$root/build-benchmarks"
extras=1
results=""
baseline=""
selected="${all_scenarios[*]}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=2; duration=2 ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --peers) peers="$2"; shift ;;
    --scenarios) selected="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --no-extras) extras=0 ;;
    --results) results="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
results="${results:-$build_dir/benchmark-results.tsv}"
for scenario in $selected; do
  [[ " ${all_scenarios[*]} " == *" $scenario "* ]] ||
    { echo "run.sh: unknown scenario $scenario (known: ${all_scenarios[*]})" >&2; exit 2; }
done
selects() { [[ " $selected " == *" $1 "* ]]; }
python=/usr/bin/python3
[ -x "$python" ] || python="$(command -v python3)"

for tool in cmake wrk taskset "$python"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
cores="$(nproc)"
[ "$cores" -ge 2 ] || { echo "run.sh: needs two cores (server on one, wrk on the other)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 12000 ]; then
  echo "run.sh: note: ulimit -n is $(ulimit -n); 1,024 connections and the 10,000-connection memory test need more" >&2
fi

echo "== building (Release) in $build_dir"
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DASYNCREST_BUILD_TESTS=OFF \
  -DASYNCREST_BUILD_EXAMPLES=ON -DASYNCREST_BUILD_BENCHMARKS=ON >"$build_dir/configure.log" 2>&1 ||
  { cat "$build_dir/configure.log" >&2; exit 1; }
# Only the peers asked for: a run against nginx alone builds no Beast.
targets=(benchmark_server)
[[ " $peers " == *" metrics "* ]] && targets+=(benchmark_server_metrics)
[[ " $peers " == *" floor "* ]] && targets+=(peer_floor)
for optional in peer_beast peer_httplib peer_restinio; do
  [[ " $peers " == *" ${optional#peer_} "* ]] || continue
  grep -q "^$optional:" <(cmake --build "$build_dir" --target help 2>/dev/null | sed 's/^\.\.\. //; s/ .*//; s/$/:/') &&
    targets+=("$optional")
done
cmake --build "$build_dir" --target "${targets[@]}" -j2 >/dev/null

# The same 1 MiB file for every server (file) and a self-signed certificate (https).
data="$build_dir/benchmark-data"
make_benchmark_data "$data"
if selects https && [ ! -s "$data/certificate.pem" ]; then
  echo "run.sh: openssl is missing: no certificate, https skipped" >&2
  selected="$(sed 's/\bhttps\b//' <<<"$selected")"
fi

# The command that starts each peer; it takes the port first and prints "listening on port N".
bin="$build_dir/benchmarks"
peer_command() {
  case "$1" in
    asyncrest) echo "$bin/benchmark_server" ;;
    metrics) echo "$bin/benchmark_server_metrics" ;;
    baseline) [ -n "$baseline" ] && [ -x "$baseline" ] && echo "$baseline" ;;
    floor) echo "$bin/peer_floor" ;;
    beast) [ -x "$bin/peer_beast" ] && echo "$bin/peer_beast" ;;
    httplib) [ -x "$bin/peer_httplib" ] && echo "$bin/peer_httplib" ;;
    restinio) [ -x "$bin/peer_restinio" ] && echo "$bin/peer_restinio" ;;
    aiohttp) "$python" -c "import aiohttp" 2>/dev/null && echo "$here/peers/aiohttp_server.py" ;;
    nginx) { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } && echo "$here/peers/nginx.sh" ;;
  esac
  return 0
}
available=()
for peer in $peers; do
  if [ -n "$(peer_command "$peer")" ]; then available+=("$peer"); else echo "run.sh: $peer is not installed, skipped" >&2; fi
done
# The peers built here answer each scenario they serve correctly before they are loaded (the test
# suite checks them only when configured with ASYNCREST_BENCHMARK_PEERS=ON).
for peer in "${available[@]}"; do
  case "$peer" in
    metrics | floor | beast | httplib | restinio)
      bash "$here/smoke.sh" "$(peer_command "$peer")" >/dev/null ||
        { echo "run.sh: $peer fails its smoke test (bash benchmarks/smoke.sh $(peer_command "$peer"))" >&2; exit 1; } ;;
  esac
done

server_pid=""
launcher_pid=""
server_port=""
server_log="$(mktemp)"
stop_server() {
  if [ -n "$launcher_pid" ]; then
    kill -TERM "$launcher_pid" 2>/dev/null || true
    wait "$launcher_pid" 2>/dev/null || true
  fi
  launcher_pid=""
  server_pid=""
}
trap 'stop_server; rm -f "$server_log"' EXIT

# Starts a peer pinned to core 0 (the arguments after its name are the server's, after the port)
# and waits until it accepts connections.
start_server() {
  local command
  command="$(peer_command "$1")"
  : >"$server_log"
  taskset -c 0 "$command" 0 "${@:2}" >"$server_log" 2>&1 &
  launcher_pid=$!
  server_port=""
  for _ in $(seq 1 100); do
    server_port="$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$server_log")"
    [ -n "$server_port" ] && break
    sleep 0.1
  done
  [ -n "$server_port" ] || { cat "$server_log" >&2; echo "run.sh: $1 did not start" >&2; exit 1; }
  # A launcher script names the server's own process ("pid N"); otherwise it is the server.
  server_pid="$(sed -n 's/^listening on port [0-9]* pid \([0-9]*\).*/\1/p' "$server_log")"
  server_pid="${server_pid:-$launcher_pid}"
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$server_port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "run.sh: $1 does not accept connections" >&2
  exit 1
}

# utime + stime of the server, in clock ticks (all its threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

# Runs wrk pinned to core 1; prints "requests rps p50_ms p99_ms errors cpu_us_per_request".
measure() {
  local scenario="$1" connection_count="$2" seconds="$3" path script_arguments=() before after output scheme=http
  path="$(scenario_path "$scenario")"
  is_tls_scenario "$scenario" && scheme=https
  case "$scenario" in
    pipelined) script_arguments=(-s "$here/lua/pipelined.lua") ;;
    echo | echo_typed) script_arguments=(-s "$here/lua/echo.lua") ;;
  esac
  before="$(cpu_ticks)"
  output="$(taskset -c 1 wrk -t1 -c"$connection_count" -d"${seconds}s" --latency --timeout 5s "${script_arguments[@]}" \
    "$scheme://127.0.0.1:$server_port$path" -- "$here/echo_body.json" 2>&1)" || true
  after="$(cpu_ticks)"
  WRK_OUTPUT="$output" "$python" - "$before" "$after" "$(getconf CLK_TCK)" <<'PYTHON'
import os, re, sys
text = os.environ["WRK_OUTPUT"]
before, after, hertz = (float(value) for value in sys.argv[1:4])
def duration_ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
requests = int(re.search(r"(\d+) requests in", text).group(1)) if "requests in" in text else 0
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)) if "Requests/sec" in text else 0.0
p50 = re.search(r"\s50%\s+(\S+)", text)
p99 = re.search(r"\s99%\s+(\S+)", text)
errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout)[: ]\s*(\d+)", text))
cpu_us = (after - before) / hertz / requests * 1e6 if requests else 0.0
print(requests, f"{rps:.0f}", f"{duration_ms(p50.group(1)) if p50 else 0:.3f}",
      f"{duration_ms(p99.group(1)) if p99 else 0:.3f}", errors, f"{cpu_us:.3f}")
PYTHON
}

mkdir -p "$(dirname "$results")"
printf 'round\tpeer\tscenario\tconnections\trequests\trps\tp50_ms\tp99_ms\terrors\tcpu_us_per_request\n' >"$results"
echo "== ${#available[@]} servers, $rounds rounds of ${duration} s per scenario and connection count; raw figures in $results"
for round in $(seq 1 "$rounds"); do
  # Rotating the order each round keeps any drift of the machine from favouring one peer.
  order=("${available[@]:$(((round - 1) % ${#available[@]}))}" "${available[@]:0:$(((round - 1) % ${#available[@]}))}")
  for peer in "${order[@]}"; do
    # The scenarios over plain TCP with one start of the server, then those over TLS with another.
    plain=()
    secure=()
    for scenario in $(scenarios_of "$peer"); do
      selects "$scenario" || continue
      if is_tls_scenario "$scenario"; then secure+=("$scenario"); else plain+=("$scenario"); fi
    done
    for mode in plain secure; do
      if [ "$mode" = plain ]; then
        scenarios=("${plain[@]}")
        scheme=http
        arguments=()
        [[ " ${plain[*]} " == *" file "* ]] && arguments=(--file "$data/file-1MiB.bin")
        [[ " ${plain[*]} " == *" static"* ]] && arguments+=(--static "$data/static")
      else
        scenarios=("${secure[@]}")
        scheme=https
        arguments=(--tls "$data/certificate.pem" "$data/key.pem")
      fi
      [ "${#scenarios[@]}" -gt 0 ] || continue
      start_server "$peer" "${arguments[@]}"
      taskset -c 1 wrk -t1 -c64 -d1s "$scheme://127.0.0.1:$server_port/plaintext" >/dev/null 2>&1 || true  # warm-up
      for scenario in "${scenarios[@]}"; do
        for connection_count in $(scenario_connections "$scenario" "$connections"); do
          read -r requests rps p50 p99 errors cpu <<<"$(measure "$scenario" "$connection_count" "$duration")"
          printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$peer" "$scenario" "$connection_count" \
            "$requests" "$rps" "$p50" "$p99" "$errors" "$cpu" >>"$results"
          printf '  round %s  %-9s %-9s c=%-5s %10s req/s  p50 %7s ms  p99 %7s ms  cpu %6s us/req  errors %s\n' \
            "$round" "$peer" "$scenario" "$connection_count" "$rps" "$p50" "$p99" "$cpu" "$errors"
        done
      done
      stop_server
    done
  done
done

echo
echo "== medians of $rounds rounds; machine: $(nproc) cores, $(uname -sr); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
"$python" "$here/report.py" "$results"

[ "$extras" = 1 ] || exit 0

echo
echo "== resident memory per idle keep-alive connection (asyncrest, 10,000 connections)"
start_server asyncrest
"$python" "$here/idle_connections.py" "$server_port" 10000 "$server_pid"
stop_server

echo
echo "== compile time and size of the hello example (Release; one translation unit, -j1)"
hello_object="$(find "$build_dir/examples" -name 'main.cpp.o' -path '*hello*' 2>/dev/null | head -1)"
[ -n "$hello_object" ] && rm -f "$hello_object"
cmake --build "$build_dir" --target asyncrest_llhttp -j2 >/dev/null 2>&1 || true
start=$(date +%s.%N)
cmake --build "$build_dir" --target hello -j1 >/dev/null
end=$(date +%s.%N)
hello="$build_dir/examples/hello/hello"
stripped="$(mktemp)"
strip -o "$stripped" "$hello"
printf '  hello: compile and link %.1f s, binary %s bytes (%s stripped)\n' "$("$python" -c "print($end - $start)")" \
  "$(stat -c %s "$hello")" "$(stat -c %s "$stripped")"
rm -f "$stripped"
server_object="$(find "$build_dir/benchmarks" -name 'server.cpp.o' | head -1)"
[ -n "$server_object" ] && rm -f "$server_object"
start=$(date +%s.%N)
cmake --build "$build_dir" --target benchmark_server -j1 >/dev/null
end=$(date +%s.%N)
printf '  benchmark_server (205 routes): compile and link %.1f s\n' "$("$python" -c "print($end - $start)")"
