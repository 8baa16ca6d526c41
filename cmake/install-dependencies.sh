#!/usr/bin/env bash
# Installs, from Debian or Ubuntu packages, whatever asyncrest's build and tests need and the
# machine lacks. Does nothing when everything is there.
#   bash cmake/install-dependencies.sh                 build and test (benchmark targets included)
#   bash cmake/install-dependencies.sh --ci            also what continuous integration uses: clang
#                                                      (the second compiler) and clang-format
#   bash cmake/install-dependencies.sh --benchmarks    also what benchmarks/run.sh runs: wrk and
#                                                      the aiohttp and RESTinio peers
set -euo pipefail

# The library and its tests (OpenSSL and nginx for the client's HTTPS and third-party server
# tests; zlib for WebSocket and HTTP compression, checked against Python's; brotli for HTTP's br), and the benchmark targets the
# tests build: Google Benchmark for the microbenchmarks, Boost (Beast) and cpp-httplib for two of
# the peers.
packages=(cmake make g++ libasio-dev libsimdjson-dev doctest-dev node-llhttp libssl-dev openssl zlib1g-dev libbrotli-dev python3 nginx
          libbenchmark-dev libboost-dev libcpp-httplib-dev)
# The tests' third-party peers: Python's websockets and requests, curl, tinyproxy for the
# client's proxy tests (which skip without it), Prometheus (which scrapes /metrics; promtool
# checks its text), spdlog for the logging example, and Chromium, driven by playwright-core from
# npm, for the examples in a browser. npm itself installs, from tests/browser/package-lock.json
# into the build tree, playwright-core, and swagger-ui-dist and @apidevtools/swagger-parser for
# the todos example's /docs page and the validation of its /openapi.json.
packages+=(python3-websockets python3-requests curl tinyproxy prometheus libspdlog-dev chromium)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for option in "$@"; do
  case "$option" in
    --ci) packages+=(clang clang-format) ;;
    --benchmarks) packages+=(wrk python3 python3-aiohttp util-linux librestinio-dev) ;;
    *)
      echo "install-dependencies: unknown option $option (known: --ci, --benchmarks)" >&2
      exit 2
      ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "asyncrest: please install ${missing[*]} (or their equivalents) with your package manager" >&2
  exit 1
fi
run_as_root=()
[ "$(id -u)" -ne 0 ] && run_as_root=(sudo)
echo "asyncrest: installing ${missing[*]}"
"${run_as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
