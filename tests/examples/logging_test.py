"""examples/logging as a user runs it: every request has one access line, through spdlog, as
JSON whose request id is the response's X-Request-Id.

    python3 logging_test.py LOGGING_BINARY
"""
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

binary = sys.argv[1]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what, flush=True)


server = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PORT="0"),
                          text=True)
try:
    banner = server.stdout.readline()
    base = banner.split(" on ")[1].strip()
    answers = []
    for path, headers in [("/", {}), ("/users/7", {"X-Request-Id": "caller-chosen-42"}), ("/users/0", {}),
                          ("/fail", {})]:
        request = urllib.request.Request(base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                answers.append((path, reply.status, reply.headers["X-Request-Id"], reply.read()))
        except urllib.error.HTTPError as error:
            answers.append((path, error.code, error.headers["X-Request-Id"], error.read()))
finally:
    server.send_signal(signal.SIGTERM)
    output, errors = server.communicate(timeout=30)

check(server.returncode == 0, "the example exits cleanly after SIGTERM (%s)" % server.returncode)
lines = [line for line in output.splitlines() if "[access]" in line]
check(len(lines) == len(answers), "one access line per request: %d lines, %d requests" % (len(lines), len(answers)))
for (path, status, request_id, body), line in zip(answers, lines):
    entry = json.loads(line.split("[access] ", 1)[1])
    check(entry["path"] == path, "%s: the line's path (%s)" % (path, entry["path"]))
    check(entry["status"] == status, "%s: the line's status %s is the response's %s" % (path, entry["status"], status))
    check(entry["request_id"] == request_id, "%s: the line's request id is the response's" % path)
    check(entry["level"] == ("error" if status >= 500 else "warning" if status >= 400 else "info"),
          "%s: level %s for status %s" % (path, entry["level"], status))
check(answers[1][2] == "caller-chosen-42", "a well-formed incoming request id is kept")
check(json.loads(answers[1][3])["request_id"] == "caller-chosen-42", "the handler sees the same id")
check("unhandled exception in GET /fail (request %s): something broke" % answers[3][2] in errors,
      "the error's log line names the request's id: %r" % errors)
check(answers[0][1] == 200 and answers[2][1] == 404 and answers[3][1] == 500, "the statuses")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("logging example: all checks passed")
