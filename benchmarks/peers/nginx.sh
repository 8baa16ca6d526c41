#!/usr/bin/env bash
# nginx (Debian nginx) with `return 200`: a near-limit reference for a production server.
# One process (no master, one worker), no access log, configuration in a temporary directory
# removed on exit. The 200-route table becomes regular-expression locations, tried in order, whose
# answer is the captured parameters joined by '/'. POST /echo is not served (nginx parses no JSON).
# With --file, GET /file is that file, served statically (sendfile on); with --static, /static/
# is that folder (sendfile on, nginx's defaults: ETag, ranges); with --tls, the port speaks
# HTTPS only, with that PEM certificate chain and key: TLS 1.2 and 1.3, as asyncrest (nginx's
# default ciphers).
#   nginx.sh [port] [--file PATH] [--static FOLDER] [--tls CERTIFICATE KEY]
#     port 0: a free port is chosen; the port is printed
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port=8080
file=""
static=""
certificate=""
key=""
while [ $# -gt 0 ]; do
  case "$1" in
    --file) file="$(realpath "$2")"; shift ;;
    --static) static="$(realpath "$2")"; shift ;;
    --tls) certificate="$(realpath "$2")"; key="$(realpath "$3")"; shift 2 ;;
    -*) echo "nginx.sh: unknown option $1" >&2; exit 2 ;;
    *) port="$1" ;;
  esac
  shift
done
if [ "$port" = 0 ]; then
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
nginx_binary="$(command -v nginx || echo /usr/sbin/nginx)"
directory="$(mktemp -d)"
trap 'rm -rf "$directory"' EXIT

{
  cat <<CONFIG
daemon off;
master_process off;
worker_processes 1;
pid $directory/nginx.pid;
error_log $directory/error.log error;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $directory;
  proxy_temp_path $directory;
  fastcgi_temp_path $directory;
  uwsgi_temp_path $directory;
  scgi_temp_path $directory;
  keepalive_requests 1000000;
  sendfile on;
  server {
    listen 127.0.0.1:$port${certificate:+ ssl};
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location = /json { default_type application/json; return 200 '{"message":"Hello, World!"}'; }
CONFIG
  if [ -n "$certificate" ]; then
    echo "    ssl_certificate $certificate;"
    echo "    ssl_certificate_key $key;"
    # nginx 1.22's default is TLS 1 to 1.2; asyncrest offers 1.2 and 1.3, and clients pick 1.3.
    echo "    ssl_protocols TLSv1.2 TLSv1.3;"
  fi
  if [ -n "$file" ]; then
    echo "    location = /file { default_type application/octet-stream; alias $file; }"
  fi
  if [ -n "$static" ]; then
    echo "    location /static/ { default_type application/octet-stream; alias $static/; }"
  fi
  python3 - "$here/../github_routes.txt" <<'PYTHON'
import re, sys
seen = set()
for line in open(sys.argv[1]):
    if not re.match(r"^[A-Z]+ /", line):
        continue
    path = line.split()[1]
    if path in seen:
        continue
    seen.add(path)
    count = path.count("{")
    pattern = re.sub(r"\{[^}]+\}", "([^/]+)", path)
    answer = "/".join(f"${i}" for i in range(1, count + 1))
    print(f'    location ~ ^{pattern}$ {{ default_type "text/plain; charset=utf-8"; return 200 "{answer}"; }}')
PYTHON
  echo "  }"
  echo "}"
} > "$directory/nginx.conf"

# Not exec: the trap removes the directory when nginx ends. The pid printed is nginx's own, for
# the runner's CPU accounting.
"$nginx_binary" -p "$directory" -c "$directory/nginx.conf" -e "$directory/error.log" &
nginx_pid=$!
echo "listening on port $port pid $nginx_pid"
trap 'kill -TERM "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; rm -rf "$directory"' EXIT INT TERM
wait "$nginx_pid"
