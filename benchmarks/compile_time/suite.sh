#!/usr/bin/env bash
# The test suite's build time, as it is built (Asio and asyncrest's server compiled once, one
# precompiled header) against the same tests built header-only (ASYNCREST_TESTS_HEADER_ONLY=ON).
# Builds alternate, from clean, with -j2; CPU time (user + system, summed over the compilers)
# is the figure to compare, since it hardly moves when other work shares the machine.
#   bash benchmarks/compile_time/suite.sh [rounds] [scratch directory]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-1}
scratch=${2:-$root/build/compile-time}
declare -A options=([fast]="-DASYNCREST_TESTS_HEADER_ONLY=OFF" [header-only]="-DASYNCREST_TESTS_HEADER_ONLY=ON")
for kind in fast header-only; do
  cmake -S "$root" -B "$scratch/$kind" -DCMAKE_BUILD_TYPE=Debug -DASYNCREST_BUILD_EXAMPLES=OFF \
    -DASYNCREST_BUILD_BENCHMARKS=OFF ${options[$kind]} >/dev/null
done
for round in $(seq "$rounds"); do
  for kind in fast header-only; do
    cmake --build "$scratch/$kind" --target clean >/dev/null
    /usr/bin/time -f "round $round  $kind: wall %e s, CPU %U s user + %S s system" \
      cmake --build "$scratch/$kind" -j2 >/dev/null
  done
done
