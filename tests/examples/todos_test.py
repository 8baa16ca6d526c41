"""examples/todos as a user runs it, over a real socket: the CRUD contract (201, 422 naming
/title, filters, PATCH, DELETE, 404 as problem+json), the OpenAPI document it serves, and /docs
answering a clear 503 when Swagger UI's files are not installed; and, given the example's
typed client, its calls against the same server.

    python3 todos_test.py <todos program> [<todos_client program>]
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

import requests

binary = sys.argv[1]
client_binary = sys.argv[2] if len(sys.argv) > 2 else None
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what, flush=True)


empty_folder = tempfile.mkdtemp(prefix="todos-no-swagger-ui-")
environment = dict(os.environ, PORT="0", SWAGGER_UI_DIR=empty_folder)
server = subprocess.Popen([binary], stdout=subprocess.PIPE, env=environment, text=True)
try:
    base = server.stdout.readline().split(" on ")[1].strip()
    session = requests.Session()

    made = session.post(base + "/todos", json={"title": "write tests", "due": "2030-01-02T03:04:05+02:00"})
    check(made.status_code == 201, "POST /todos is 201 (%s %s)" % (made.status_code, made.text))
    todo = made.json()
    check(isinstance(todo["id"], int), "a todo has an integer id: %r" % todo)
    check(todo["title"] == "write tests" and todo["done"] is False, "the todo as sent, not done: %r" % todo)
    check(todo["due"] == "2030-01-02T01:04:05Z", "due is RFC 3339, in UTC: %r" % todo.get("due"))
    check(made.headers["Location"] == "/todos/%d" % todo["id"], "Location names the new todo")
    second = session.post(base + "/todos", json={"title": "ship"}).json()
    check("due" not in second, "a todo without due has no due member: %r" % second)

    refused = session.post(base + "/todos", json={"title": 42})
    check(refused.status_code == 422, "a title that is not a string is 422 (%s)" % refused.status_code)
    check(refused.headers["Content-Type"] == "application/problem+json", "a 422 is problem+json")
    pointers = [error.get("pointer") for error in refused.json().get("errors", [])]
    check("/title" in pointers, "the 422 names /title: %r" % refused.json())
    check(session.post(base + "/todos", json={"due": "soon"}).status_code == 422, "no title and a bad due: 422")
    check(session.post(base + "/todos", data="{", headers={"Content-Type": "application/json"}).status_code == 400,
          "a body that is not JSON is 400")

    one = session.get(base + "/todos/%d" % todo["id"])
    check(one.status_code == 200 and one.json() == todo, "GET /todos/{id} is the todo")
    missing = session.get(base + "/todos/999999")
    check(missing.status_code == 404, "an unknown id is 404 (%s)" % missing.status_code)
    check(missing.headers["Content-Type"] == "application/problem+json", "a 404 is problem+json")
    check(missing.json()["status"] == 404 and missing.json()["detail"], "the problem says why: %r" % missing.json())

    changed = session.patch(base + "/todos/%d" % todo["id"], json={"done": True})
    check(changed.status_code == 200 and changed.json()["done"] is True, "PATCH marks it done: %r" % changed.text)
    check(changed.json()["title"] == "write tests", "PATCH leaves what it does not name")
    check(session.patch(base + "/todos/999999", json={"done": True}).status_code == 404, "PATCH of an unknown id: 404")
    check(session.patch(base + "/todos/%d" % todo["id"], json={"title": ""}).status_code == 422,
          "PATCH with an empty title: 422")

    done = session.get(base + "/todos", params={"done": "true", "limit": "10"})
    check(done.status_code == 200 and [each["id"] for each in done.json()] == [todo["id"]],
          "?done=true lists the done todo only: %r" % done.text)
    open_ones = session.get(base + "/todos", params={"done": "false"}).json()
    check([each["id"] for each in open_ones] == [second["id"]], "?done=false lists the other: %r" % open_ones)
    check(len(session.get(base + "/todos", params={"limit": "1"}).json()) == 1, "?limit=1 lists one")
    bad_limit = session.get(base + "/todos", params={"limit": "0"})
    check(bad_limit.status_code == 422 and bad_limit.json()["errors"][0].get("name") == "limit",
          "?limit=0 is 422 naming limit: %r" % bad_limit.text)

    check(session.delete(base + "/todos/%d" % second["id"]).status_code == 204, "DELETE is 204")
    check(session.get(base + "/todos/%d" % second["id"]).status_code == 404, "a deleted todo is gone")
    check(session.delete(base + "/todos/%d" % second["id"]).status_code == 404, "DELETE again: 404")

    document = session.get(base + "/openapi.json")
    check(document.status_code == 200 and document.headers["Content-Type"] == "application/json",
          "/openapi.json is JSON")
    spec = document.json()
    check(spec["openapi"] == "3.1.0" and spec["info"]["title"] == "Todos", "an OpenAPI 3.1 document")
    check(set(spec["paths"]) == {"/todos", "/todos/{id}"}, "its paths: %r" % list(spec["paths"]))
    check(set(spec["paths"]["/todos/{id}"]) == {"get", "patch", "delete"}, "the methods of /todos/{id}")
    check("201" in spec["paths"]["/todos"]["post"]["responses"], "POST /todos documents its 201")

    if client_binary:
        ran = subprocess.run([client_binary, base], capture_output=True, text=True, timeout=60)
        check(ran.returncode == 0, "the typed client succeeds (%s): %s" % (ran.returncode, ran.stderr))
        lines = ran.stdout.splitlines()
        check(len(lines) == 4, "the typed client prints four lines: %r" % lines)
        if len(lines) == 4:
            added = json.loads(lines[0].split(" ", 1)[1].rsplit(" at ", 1)[0])
            check(added["title"] == "buy tea" and added["done"] is False, "it added its todo: %r" % lines[0])
            check(lines[0].endswith(" at /todos/%d" % added["id"]), "with the Location: %r" % lines[0])
            check(json.loads(lines[1].split(" ", 1)[1])["done"] is True, "it changed it: %r" % lines[1])
            check(added["id"] in [each["id"] for each in json.loads(lines[2].split(" ", 1)[1])],
                  "the done ones include it: %r" % lines[2])
            check(lines[3] == "gone 404 no todo has that id", "its 404 after the DELETE: %r" % lines[3])

    docs = session.get(base + "/docs")
    check(docs.status_code == 503, "/docs without Swagger UI's files is 503 (%s)" % docs.status_code)
    check("npm install swagger-ui-dist" in docs.json().get("detail", ""), "the 503 says how to install them")
finally:
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=30)
    os.rmdir(empty_folder)

check(server.returncode == 0, "the example exits cleanly on SIGTERM (%s)" % server.returncode)
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("todos example: all checks passed")
