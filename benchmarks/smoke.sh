#!/usr/bin/env bash
# Starts a benchmark server on a free port, checks its answer to each scenario it serves, once,
# and stops it. A smoke test, not a measurement.
#   smoke.sh <server> [arguments...]     the server takes the port first and prints
#                                        "listening on port N" when it accepts connections
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/scenarios.sh"

server="$1"
shift
output="$(mktemp)"
trap 'kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -f "$output"' EXIT
"$server" 0 "$@" >"$output" 2>&1 &
server_pid=$!

port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$output")"
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$output" >&2; echo "smoke: the server exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "smoke: the server printed no port" >&2; exit 1; }

# Sends $1 (whole requests) on one connection and prints everything the server answers.
exchange() {
  local reply
  for _ in $(seq 1 50); do
    if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then break; fi
    sleep 0.1
  done
  printf '%b' "$1" >&3
  reply="$(timeout 10 cat <&3)"
  exec 3<&-
  printf '%s' "$reply"
}

# Compares bodies without spaces: some servers write JSON as {"a": 1}, others as {"a":1}.
check() {
  local name="$1" reply="$2" expected="$3" count="${4:-1}"
  local statuses body
  statuses="$(printf '%s' "$reply" | grep -o 'HTTP/1.1 200' | wc -l)"
  body="$(printf '%s' "$reply" | tr -d '\r' | awk 'body { print } /^$/ { body = 1 }' | head -c 4096)"
  if [ "$statuses" != "$count" ]; then
    echo "smoke: $name: expected $count responses of 200, got $statuses:" >&2
    printf '%s\n' "$reply" | head -20 >&2
    exit 1
  fi
  if [ "$count" = 1 ] && [ "$(printf '%s' "$body" | tr -d ' \n')" != "$(printf '%s' "$expected" | tr -d ' \n')" ]; then
    echo "smoke: $name: expected body $expected, got:" >&2
    printf '%s\n' "$reply" | head -20 >&2
    exit 1
  fi
  echo "smoke: $name ok"
}

close="Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
for scenario in $(scenarios_of "$server"); do
  path="$(scenario_path "$scenario")"
  case "$scenario" in
    plaintext) check plaintext "$(exchange "GET $path HTTP/1.1\r\n$close")" "Hello, World!" ;;
    json) check json "$(exchange "GET $path HTTP/1.1\r\n$close")" '{"message":"Hello, World!"}' ;;
    param) check param "$(exchange "GET $path HTTP/1.1\r\n$close")" "asyncrest/asyncrest/42" ;;
    pipelined)
      requests=""
      for _ in $(seq 1 15); do requests+="GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; done
      check pipelined "$(exchange "${requests}GET $path HTTP/1.1\r\n$close")" "" 16 ;;
    echo)
      body="$(cat "$here/echo_body.json")"
      check echo "$(exchange "POST $path HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\n$close$body")" "$body" ;;
  esac
done
