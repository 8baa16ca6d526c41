#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, from its seed corpus, in BUILD_DIR
# (default build/fuzz, where `cmake --workflow --preset fuzz` builds them). New inputs go to a
# scratch corpus, so the seeds stay as committed; a crash leaves its input in the scratch folder
# and fails the run.
# Targets run side by side, as many as there are cores (FUZZ_JOBS to choose).
#   bash tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
seconds=${1:-60}
build=${2:-build/fuzz}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
jobs=${FUZZ_JOBS:-$(nproc)}
targets=(fuzz_connection fuzz_request_differential fuzz_route_tree fuzz_client_response fuzz_json_escape
  fuzz_permessage_deflate fuzz_websocket)

# Runs one target; its output stays in its log until it has finished, so parallel runs do not mix.
run_target() {
  local target=$1
  local corpus="$scratch/$target"
  mkdir -p "$corpus" "$scratch/$target.artifacts"
  cp "$here/seeds/$target"/* "$corpus/"
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$scratch/$target.artifacts/" "$corpus" 2>"$scratch/$target.log"; then
    {
      echo "=== $target: FAILED"
      tail -n 60 "$scratch/$target.log"
      for artifact in "$scratch/$target.artifacts"/*; do
        [ -e "$artifact" ] && { echo "input ($artifact):"; od -c "$artifact" | head -n 40; }
      done
    } >"$scratch/$target.report"
    cat "$scratch/$target.report"
    return 1
  fi
  {
    echo "=== $target: $seconds s"
    grep -E "^stat::(number_of_executed_units|new_units_added)" "$scratch/$target.log" || true
  } >"$scratch/$target.report"
  cat "$scratch/$target.report"
}

status=0
for target in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/$target" ]; then
    echo "=== $target: not built (it needs zlib: bash cmake/install-dependencies.sh)" >&2
    status=1
  fi
done
[ $status -eq 0 ] || exit $status

running=0
for target in "${targets[@]}"; do
  if [ $running -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
while [ $running -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
