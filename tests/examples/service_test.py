"""examples/service as a user runs it: the API behind its rate limit, /metrics, the health
probes and the two-phase shutdown, access lines on stdout, and spans posted to a collector.

    python3 service_test.py SERVICE_BINARY
"""
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

binary = sys.argv[1]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what, flush=True)


def get(url):
    """(status, headers, body bytes), for any status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# A collector: records what is posted to /v1/traces.
posted = []


class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        posted.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *arguments):
        pass


collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
threading.Thread(target=collector.serve_forever, daemon=True).start()

environment = dict(os.environ, PORT="0", READINESS_GRACE_MS="3000",
                   OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % collector.server_address[1],
                   OTEL_SERVICE_NAME="service-example")
server = subprocess.Popen([binary], stdout=subprocess.PIPE, env=environment, text=True)
try:
    base = server.stdout.readline().split(" on ")[1].strip()

    status, headers, body = get(base + "/api/hello/ada")
    check(status == 200, "GET /api/hello/ada is 200 (%s)" % status)
    answer = json.loads(body)
    check(answer["greeting"] == "Hello, ada!", "the greeting: %r" % answer)
    check(answer["request_id"] == headers["X-Request-Id"], "the handler's request id is the response's")
    check(headers["RateLimit-Policy"] == '"per-second";q=20;w=2', "RateLimit-Policy: %r" % headers["RateLimit-Policy"])
    check(headers["RateLimit"] is not None and headers["RateLimit"].startswith('"per-second";r='),
          "RateLimit: %r" % headers["RateLimit"])

    # Past the burst of 20: refused with 429, a problem body and Retry-After. Each connection is
    # new and the server has a thread per core, each with its buckets: a client whose
    # connections land on N threads gets up to N bursts, so 60 requests pass the limit of two.
    statuses = [get(base + "/api/hello/bob") for _ in range(60)]
    refused = [reply for reply in statuses if reply[0] == 429]
    check(len(refused) >= 5, "past the burst, requests are refused (%d of 60)" % len(refused))
    if refused:
        check(refused[0][1]["Content-Type"] == "application/problem+json", "a 429's body is a problem")
        check(int(refused[0][1]["Retry-After"]) >= 1, "a 429 says when to retry")
    check(get(base + "/metrics")[0] == 200, "/metrics is not rate limited")

    status, headers, body = get(base + "/metrics")
    text = body.decode()
    check(headers["Content-Type"].startswith("text/plain; version=0.0.4"), "/metrics is Prometheus text")
    check('http_server_requests_total{method="GET",route="/api/hello/{name}",status="2xx"}' in text,
          "/metrics counts the API's requests by route template")
    check('route="/api/hello/{name}",status="4xx"' in text, "/metrics counts the refused ones")
    check("http_server_open_connections" in text, "/metrics has the open connections")

    check(get(base + "/healthz")[0] == 200, "/healthz is 200")
    check(get(base + "/readyz")[0] == 200, "/readyz is 200")

    # Two phases: after SIGTERM, not ready, still serving; then gone.
    server.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    check(get(base + "/readyz")[0] == 503, "/readyz is 503 once the stop has begun")
    check(get(base + "/healthz")[0] == 200, "/healthz is 200 during the grace")
    check(get(base + "/api/hello/carol")[0] in (200, 429), "the API still answers during the grace")
finally:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)

check(server.returncode == 0, "the service exits cleanly after the grace and the drain (%s)" % server.returncode)
lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
check(len(lines) >= 66, "an access line per request (%d)" % len(lines))
check(all(len(line.get("request_id", "")) > 0 for line in lines), "every access line has its request id")
api_lines = [line for line in lines if line.get("route") == "/api/hello/{name}"]
check(any(line.get("trace_id") for line in api_lines), "the access lines carry the trace id")

spans = []
for path, content_type, body in posted:
    check(path == "/v1/traces" and content_type == "application/json", "spans are posted as OTLP/HTTP JSON")
    for resource_spans in json.loads(body)["resourceSpans"]:
        names = {attribute["key"]: attribute["value"].get("stringValue")
                 for attribute in resource_spans["resource"]["attributes"]}
        check(names.get("service.name") == "service-example", "the spans' service.name is OTEL_SERVICE_NAME")
        for scope_spans in resource_spans["scopeSpans"]:
            spans.extend(scope_spans["spans"])
check(any(span["name"] == "GET /api/hello/{name}" for span in spans),
      "a span per request, named by its route template (%d spans)" % len(spans))
trace_ids = {span["traceId"] for span in spans}
check(any(line.get("trace_id") in trace_ids for line in api_lines), "the log's trace ids are the spans'")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("service example: all checks passed")
