#!/usr/bin/env bash
# Starts a benchmark server on a free port, checks its answer to each scenario it serves, once,
# and stops it. A smoke test, not a measurement.
#   smoke.sh <server> [arguments...]     the server takes the port first and prints
#                                        "listening on port N" when it accepts connections
# A server that serves file is started with --file (a 1 MiB file made here); https starts it a
# second time with --tls and a self-signed certificate made here. file, stream and https are
# checked with curl, and skipped with a note where curl (or, for https, openssl) is missing or
# the server was built without TLS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/scenarios.sh"

server="$1"
shift
work="$(mktemp -d)"
server_pid=""
stop() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop; rm -rf "$work"' EXIT

scenarios="$(scenarios_of "$server")"
serves() { [[ " $scenarios " == *" $1 "* ]]; }
have_curl=0
command -v curl >/dev/null && have_curl=1

# Starts the server with the given extra arguments and sets $port; returns 1 (with the server's
# output in $work/output) when it exits before listening.
start() {
  "$server" 0 "$@" >"$work/output" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$work/output")"
    [ -n "$port" ] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      server_pid=""
      return 1
    fi
    sleep 0.1
  done
  echo "smoke: the server printed no port" >&2
  exit 1
}

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

# Fetches $2 twice with curl (extra curl arguments after $3), on one keep-alive connection, and
# compares the second body with the file $3.
check_with_curl() {
  local name="$1" url="$2" expected="$3"
  shift 3
  local statuses
  statuses="$(curl -sS --max-time 10 -w '%{http_code} ' "$@" -o "$work/first" "$url" -o "$work/body" "$url")" || {
    echo "smoke: $name: curl failed" >&2
    exit 1
  }
  if [ "$statuses" != "200 200 " ]; then
    echo "smoke: $name: expected two responses of 200, got $statuses" >&2
    exit 1
  fi
  if ! cmp -s "$work/body" "$expected"; then
    echo "smoke: $name: the body ($(stat -c %s "$work/body") bytes) differs from the expected one ($(stat -c %s "$expected") bytes)" >&2
    exit 1
  fi
  echo "smoke: $name ok"
}

arguments=("$@")
if serves file; then
  head -c 1048576 /dev/urandom >"$work/file.bin"
  arguments+=(--file "$work/file.bin")
fi
if serves static4k; then
  mkdir -p "$work/static"
  head -c 4096 /dev/urandom >"$work/static/file-4KiB.bin"
  head -c 1048576 /dev/urandom >"$work/static/file-1MiB.bin"
  arguments+=(--static "$work/static")
fi
start "${arguments[@]}" || { cat "$work/output" >&2; echo "smoke: the server exited" >&2; exit 1; }

close="Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
for scenario in $scenarios; do
  path="$(scenario_path "$scenario")"
  case "$scenario" in
    plaintext | limited | shed) check "$scenario" "$(exchange "GET $path HTTP/1.1\r\n$close")" "Hello, World!" ;;
    json) check json "$(exchange "GET $path HTTP/1.1\r\n$close")" '{"message":"Hello, World!"}' ;;
    param) check param "$(exchange "GET $path HTTP/1.1\r\n$close")" "asyncrest/asyncrest/42" ;;
    pipelined)
      requests=""
      for _ in $(seq 1 15); do requests+="GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; done
      check pipelined "$(exchange "${requests}GET $path HTTP/1.1\r\n$close")" "" 16 ;;
    echo)
      body="$(cat "$here/echo_body.json")"
      check echo "$(exchange "POST $path HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\n$close$body")" "$body" ;;
    echo_typed)
      # Written back from the struct, the empty optional closed_at left out.
      body="$(cat "$here/echo_body.json")"
      check echo_typed "$(exchange "POST $path HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${#body}\r\n$close$body")" \
        "${body/\"closed_at\":null,/}" ;;
    file | stream)
      if [ "$have_curl" = 0 ]; then echo "smoke: $scenario skipped: no curl"; continue; fi
      expected="$work/file.bin"
      if [ "$scenario" = stream ]; then
        # 1,000 pieces of 64 bytes, chunked: curl decodes the chunks.
        for _ in $(seq 1 1000); do echo "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"; done >"$work/stream.txt"
        expected="$work/stream.txt"
      fi
      check_with_curl "$scenario" "http://127.0.0.1:$port$path" "$expected" ;;
    static4k | static1m)
      if [ "$have_curl" = 0 ]; then echo "smoke: $scenario skipped: no curl"; continue; fi
      check_with_curl "$scenario" "http://127.0.0.1:$port$path" "$work$path" ;;
  esac
done
stop

if serves https; then
  if [ "$have_curl" = 0 ] || ! command -v openssl >/dev/null; then
    echo "smoke: https skipped: no curl or no openssl"
  else
    make_benchmark_data "$work/data"
    printf 'Hello, World!' >"$work/hello.txt"
    if start "${arguments[@]}" --tls "$work/data/certificate.pem" "$work/data/key.pem"; then
      check_with_curl https "https://127.0.0.1:$port$(scenario_path https)" "$work/hello.txt" \
        --cacert "$work/data/certificate.pem"
      stop
    elif grep -q "built without TLS" "$work/output"; then
      echo "smoke: https skipped: the server was built without TLS"
    else
      cat "$work/output" >&2
      echo "smoke: the server did not start with --tls" >&2
      exit 1
    fi
  fi
fi
