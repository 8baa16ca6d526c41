# Sourced by run.sh and smoke.sh: the scenarios, and which of them each server serves.

# Every scenario, in the order of the table.
all_scenarios=(plaintext limited shed json pipelined param echo echo_typed file stream https static4k static1m)

# The request path of each scenario (pipelined sends 16 plaintext requests per write; https is
# plaintext over TLS).
scenario_path() {
  case "$1" in
    plaintext | pipelined | https) echo /plaintext ;;
    limited) echo /limited/plaintext ;;  # plaintext behind a rate limit that never refuses
    shed) echo /shed/plaintext ;;        # plaintext behind load shedding that never refuses
    json) echo /json ;;
    param) echo /repos/asyncrest/asyncrest/issues/42 ;;
    echo) echo /echo ;;
    echo_typed) echo /echo/typed ;;  # the echo body read into a struct and written from it
    file) echo /file ;;
    stream) echo /stream ;;
    static4k) echo /static/file-4KiB.bin ;;
    static1m) echo /static/file-1MiB.bin ;;
  esac
}

# The scenarios served by a server started with --tls; the others, by the same server without it.
is_tls_scenario() { [ "$1" = https ]; }

# The connection counts of $2 at which scenario $1 runs. file sends 1 MiB per response: at 1,024
# connections a gigabyte would be in flight and wrk's reading, not the server, measured. stream
# costs about 5 ms of the server's CPU per response (1,000 writes) and the connections share the
# core evenly: at 1,024 the first responses end after 5 s or more, and a run of a few seconds
# completes none. Both, and static1m (the same file through static_files), run only at the
# counts of 64 and fewer (the smallest given when none is).
scenario_connections() {
  local scenario="$1" counts="$2" count kept=""
  if [ "$scenario" != file ] && [ "$scenario" != stream ] && [ "$scenario" != static1m ]; then
    echo "$counts"
    return
  fi
  for count in $counts; do [ "$count" -le 64 ] && kept+="$count "; done
  [ -n "$kept" ] || kept="$(tr ' ' '\n' <<<"$counts" | grep . | sort -n | head -1)"
  echo "$kept"
}

# The scenarios a server serves, from its name (an executable's or a script's base name).
scenarios_of() {
  case "$(basename "$1")" in
    benchmark_server | asyncrest | benchmark_server_metrics | metrics | baseline) echo plaintext limited shed json pipelined param echo echo_typed file stream https static4k static1m ;;
    aiohttp_server.py | aiohttp) echo plaintext json pipelined param echo ;;
    # Static files with sendfile, and `listen ssl`; no equivalent of a body written piece by piece.
    nginx.sh | nginx) echo plaintext json pipelined param file https static4k static1m ;;
    peer_httplib | httplib) echo plaintext json param ;;  # of 16 pipelined requests, only the first few are answered
    peer_restinio | restinio) echo plaintext json pipelined param ;;  # no JSON library: no echo
    *) echo plaintext json pipelined ;;  # the floor and Beast: fixed answers, no router, no JSON parser
  esac
}

# The 1 MiB file of the file scenario, the folder of the static scenarios (static/file-4KiB.bin and
# static/file-1MiB.bin) and the self-signed certificate of the https scenario, made in directory
# $1 when missing: random bytes, and an EC P-256 key (cheap handshakes, so that the connections'
# handshakes weigh little in a run) with a certificate for 127.0.0.1.
make_benchmark_data() {
  local directory="$1"
  mkdir -p "$directory"
  if [ ! -s "$directory/file-1MiB.bin" ]; then
    head -c 1048576 /dev/urandom >"$directory/file-1MiB.bin.tmp"
    mv "$directory/file-1MiB.bin.tmp" "$directory/file-1MiB.bin"
  fi
  if [ ! -s "$directory/static/file-4KiB.bin" ] || [ ! -s "$directory/static/file-1MiB.bin" ]; then
    mkdir -p "$directory/static"
    head -c 4096 /dev/urandom >"$directory/static/file-4KiB.bin"
    cp "$directory/file-1MiB.bin" "$directory/static/file-1MiB.bin"
  fi
  if [ ! -s "$directory/certificate.pem" ] || [ ! -s "$directory/key.pem" ]; then
    command -v openssl >/dev/null || return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$directory/key.pem" -out "$directory/certificate.pem" >/dev/null 2>&1
  fi
}
