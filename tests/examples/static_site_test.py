"""examples/static_site as a user runs it, checked with curl: the page, the API, the static
files (compressed, conditional, ranges, a traversal refused) and CORS.

    python3 test_static_site.py STATIC_SITE_BINARY PUBLIC_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

binary, public = sys.argv[1], sys.argv[2]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what, flush=True)


def curl(*arguments):
    """Runs curl; returns (status, headers as a lowercase dict, body bytes)."""
    with tempfile.NamedTemporaryFile() as head:
        body = subprocess.run(["curl", "-s", "--max-time", "10", "-D", head.name, *arguments],
                              check=True, capture_output=True).stdout
        lines = open(head.name, "rb").read().decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers, body


# The example's folder, and beside its files one large enough to be worth compressing.
folder = tempfile.TemporaryDirectory()
for name in os.listdir(public):
    with open(os.path.join(public, name), "rb") as source, open(os.path.join(folder.name, name), "wb") as copy:
        copy.write(source.read())
large = json.dumps([{"id": index, "name": "item %d" % index, "tags": ["a", "b"]} for index in range(400)]).encode()
with open(os.path.join(folder.name, "items.json"), "wb") as copy:
    copy.write(large)

environment = dict(os.environ, PORT="0", ALLOWED_ORIGINS="http://localhost:5173")
server = subprocess.Popen([binary, folder.name], stdout=subprocess.PIPE, env=environment, text=True)
try:
    banner = server.stdout.readline()
    base = banner.split(" on ")[1].strip()
    print("server:", base, flush=True)

    status, headers, body = curl(base + "/")
    check(status == 200 and headers.get("content-type", "").startswith("text/html"), "GET / is an HTML page")
    check(b'/static/site.js' in body, "the page links its script under /static/")

    status, headers, body = curl(base + "/api/time")
    answer = json.loads(body)
    check(status == 200 and answer["utc"].endswith("Z") and answer["unix"] > 0, "GET /api/time is JSON")

    script = open(os.path.join(public, "site.js"), "rb").read()
    status, headers, body = curl(base + "/static/site.js")
    check(status == 200 and body == script, "the script is served as it is on disk")
    check(headers.get("content-type", "").startswith("text/javascript"), "a script's type")
    check("max-age=3600" in headers.get("cache-control", ""), "Cache-Control from the settings")
    etag = headers.get("etag", "")
    check(etag.startswith('"'), "a strong ETag")

    status, headers, body = curl("--compressed", "-H", "Accept-Encoding: gzip", base + "/static/items.json")
    check(status == 200 and headers.get("content-encoding") == "gzip" and body == large,
          "gzip for a client that asks for it, decoded by curl to the same bytes")
    check("accept-encoding" in headers.get("vary", "").lower(), "Vary: Accept-Encoding")
    status, headers, body = curl("-H", "Accept-Encoding: br;q=1, gzip;q=0.5", base + "/static/items.json")
    check(headers.get("content-encoding") == "br" and len(body) < len(large) // 4, "br for a client that prefers it")
    status, headers, body = curl(base + "/static/items.json")
    check("content-encoding" not in headers and body == large, "as it is for a client that asks for nothing")

    status, headers, body = curl("-H", "If-None-Match: " + etag, base + "/static/site.js")
    check(status == 304 and body == b"", "304 for the version the client has")

    status, headers, body = curl("-r", "0-9", base + "/static/site.js")
    check(status == 206 and body == script[:10], "a range")
    check(headers.get("content-range") == "bytes 0-9/%d" % len(script), "its Content-Range")

    status, headers, body = curl("--path-as-is", base + "/static/../CMakeLists.txt")
    check(status in (400, 404), "a path out of the folder is refused")
    status, headers, body = curl(base + "/static/%2e%2e/main.cpp")
    check(status in (400, 404), "an encoded .. is refused")

    status, headers, body = curl("-X", "OPTIONS", "-H", "Origin: http://localhost:5173",
                                 "-H", "Access-Control-Request-Method: GET", base + "/api/time")
    check(status == 204 and headers.get("access-control-allow-origin") == "http://localhost:5173",
          "a preflight from an allowed origin")
    status, headers, body = curl("-H", "Origin: http://elsewhere.example", base + "/api/time")
    check(status == 200 and "access-control-allow-origin" not in headers, "no CORS grant for another origin")
finally:
    server.terminate()
    server.wait(timeout=10)
    folder.cleanup()

check(server.returncode == 0, "the server drains and exits 0 on SIGTERM")
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
