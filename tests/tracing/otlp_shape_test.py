#!/usr/bin/env python3
"""asyncrest's OTLP/HTTP JSON against OpenTelemetry's own exporter.

Starts a small OTLP endpoint (POST /v1/traces, bodies recorded), points the OpenTelemetry JS
SDK's OTLPTraceExporter at it (emit_span.mjs) and then asyncrest's exporter (the probe program
given as argv[2]), and compares the two bodies' shapes: the same keys at every level, the same
JSON types for the same fields (ids as hex strings, times as decimal strings, kinds and status
codes as numbers), and each attribute value kind written the same way.

Usage: otlp_shape_test.py NODE EMIT_SPAN_SCRIPT PROBE
"""
import gzip
import http.server
import json
import re
import subprocess
import sys
import threading

bodies = []


class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            data = gzip.decompress(data)
        bodies.append((self.path, self.headers.get("Content-Type", ""), data))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *arguments):
        pass


def shape(value):
    """The JSON type of every leaf, by path; lists are merged over their elements."""
    if isinstance(value, dict):
        return {key: shape(member) for key, member in value.items()}
    if isinstance(value, list):
        merged = {}
        for element in value:
            element_shape = shape(element)
            if isinstance(element_shape, dict):
                for key, member in element_shape.items():
                    merged.setdefault(key, member)
            else:
                merged.setdefault("<element>", element_shape)
        return ["list", merged]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def merged(documents):
    """One request holding every span of `documents`, in the first one's resource and scope."""
    first = documents[0]
    spans = first["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for other in documents[1:]:
        spans.extend(spans_of(other))
    return first


def spans_of(document):
    return [span for resource in document["resourceSpans"] for scope in resource["scopeSpans"] for span in scope["spans"]]


def attribute_kinds(document):
    """How each attribute value kind is written: {"stringValue": "string", "intValue": ...}."""
    kinds = {}
    for span in spans_of(document):
        for attribute in span["attributes"]:
            for kind, content in attribute["value"].items():
                kinds[kind] = shape(content)
    return kinds


failures = []


def compare(ours, theirs, path):
    if isinstance(theirs, dict) and isinstance(ours, dict):
        # The attribute value object holds one kind; those are compared on their own.
        if path.endswith(".value"):
            return
        for key in sorted(set(theirs) | set(ours)):
            if key not in ours:
                failures.append(f"{path}.{key}: OpenTelemetry writes it, asyncrest does not")
            elif key not in theirs:
                failures.append(f"{path}.{key}: asyncrest writes it, OpenTelemetry does not")
            else:
                compare(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list) and isinstance(ours, list):
        compare(ours[1], theirs[1], path + "[]")
    elif ours != theirs:
        failures.append(f"{path}: asyncrest writes a {ours}, OpenTelemetry a {theirs}")


def main():
    node, script, probe = sys.argv[1], sys.argv[2], sys.argv[3]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"

    subprocess.run([node, script, url], check=True, timeout=60)
    from_sdk = len(bodies)  # a batch processor may send its spans in more than one request
    if from_sdk == 0:
        sys.exit("OpenTelemetry's exporter sent nothing")
    subprocess.run([probe, url], check=True, timeout=60)
    if len(bodies) == from_sdk:
        sys.exit("asyncrest's exporter sent nothing")
    server.shutdown()

    their_path, their_type, _ = bodies[0]
    our_path, our_type, _ = bodies[from_sdk]
    theirs = merged([json.loads(data) for _, _, data in bodies[:from_sdk]])
    ours = merged([json.loads(data) for _, _, data in bodies[from_sdk:]])
    print("OpenTelemetry JS:", json.dumps(theirs, indent=1))
    print("asyncrest:", json.dumps(ours, indent=1))

    if our_path != their_path:
        failures.append(f"path: asyncrest posts to {our_path}, OpenTelemetry to {their_path}")
    if our_type.split(";")[0] != their_type.split(";")[0]:
        failures.append(f"Content-Type: asyncrest sends {our_type}, OpenTelemetry {their_type}")

    # Both have a parent link and a root: compare their spans' shapes merged.
    compare(shape(ours), shape(theirs), "$")

    # Attribute values: every kind either writes is written the same way. OTLP/JSON maps an
    # int64 to a decimal string (the proto3 JSON mapping) and receivers take a number too; the
    # JS exporter writes a number, so intValue is checked against the spec, not against it.
    their_kinds, our_kinds = attribute_kinds(theirs), attribute_kinds(ours)
    for kind in ("stringValue", "intValue"):  # what an HTTP span's attributes hold
        if kind not in our_kinds:
            failures.append(f"asyncrest's body has no {kind} attribute to compare")
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in their_kinds and kind in our_kinds and their_kinds[kind] != our_kinds[kind]:
            failures.append(f"{kind}: asyncrest writes a {our_kinds[kind]}, OpenTelemetry a {their_kinds[kind]}")
    if our_kinds.get("intValue") != "string":
        failures.append("intValue: OTLP/JSON writes an int64 as a decimal string")

    # The values' encodings, beyond their JSON types.
    for name, document in (("OpenTelemetry", theirs), ("asyncrest", ours)):
        for span in spans_of(document):
            for key, pattern in (("traceId", r"[0-9a-f]{32}"), ("spanId", r"[0-9a-f]{16}"),
                                 ("parentSpanId", r"[0-9a-f]{16}"), ("startTimeUnixNano", r"[0-9]{19}"),
                                 ("endTimeUnixNano", r"[0-9]{19}")):
                if key in span and not re.fullmatch(pattern, span[key]):
                    failures.append(f"{name}: {key} {span[key]!r} is not {pattern}")
            if span["kind"] not in (2, 3):
                failures.append(f"{name}: kind {span['kind']!r} is not SERVER (2) or CLIENT (3)")
    if not any("parentSpanId" in span for span in spans_of(ours)):
        failures.append("asyncrest's body has no span with a parent to compare")

    for failure in failures:
        print("MISMATCH:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
