#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, from its seed corpus, in BUILD_DIR
# (default build/fuzz, where `cmake --workflow --preset fuzz` builds them). New inputs go to a
# scratch corpus, so the seeds stay as committed; a crash leaves its input in the scratch folder
# and fails the run.
#   bash tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
seconds=${1:-60}
build=${2:-build/fuzz}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for target in fuzz_connection fuzz_request_differential fuzz_route_tree fuzz_client_response fuzz_json_escape \
  fuzz_permessage_deflate fuzz_websocket; do
  if [ ! -x "$build/tests/fuzz/$target" ]; then
    echo "=== $target: not built (it needs zlib: bash cmake/install-dependencies.sh)" >&2
    status=1
    continue
  fi
  corpus="$scratch/$target"
  mkdir -p "$corpus"
  cp "$here/seeds/$target"/* "$corpus/"
  echo "=== $target: $seconds s"
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$scratch/" \
      "$corpus" 2>"$scratch/$target.log"; then
    tail -n 60 "$scratch/$target.log"
    for artifact in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
      [ -e "$artifact" ] && { echo "input ($artifact):"; od -c "$artifact" | head -n 40; }
    done
    status=1
    break
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$scratch/$target.log" || true
done
exit $status
