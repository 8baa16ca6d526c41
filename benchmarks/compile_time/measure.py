#!/usr/bin/env python3
"""Compile time of the hello and todos examples against the floor (floor_hello.cpp: the same routes on bare
Asio, llhttp and simdjson), one translation unit each at -O2, compiled alternately: hello as it
is built (linking asyncrest::compiled, so its file holds only the app), hello header-only (the
server's machinery compiled in the same file), and the library file asyncrest::compiled builds
once.

    cmake --preset bench
    python3 benchmarks/compile_time/measure.py [--rounds 5] [--build build/bench]

Flags come from the build's compile_commands.json, so both files see the same compiler,
include directories and definitions; only the optimisation level is set to -O2.
"""
import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELLO = os.path.join(ROOT, "examples", "hello", "main.cpp")
CRUD_EXAMPLE = os.path.join(ROOT, "examples", "todos", "main.cpp")
# name: (source file, whether to compile it header-only, i.e. without ASYNCREST_SEPARATE_COMPILATION)
FILES = {
    "hello (compiled)": (HELLO, False),
    "hello (header-only)": (HELLO, True),
    "todos (compiled)": (CRUD_EXAMPLE, False),
    "todos (header-only)": (CRUD_EXAMPLE, True),
    "asyncrest::compiled": ("asyncrest_compiled.cpp", False),
    "floor (bare Asio)": (os.path.join(ROOT, "benchmarks", "compile_time", "floor_hello.cpp"), False),
}


def command_for(commands, source, header_only):
    for entry in commands:
        if os.path.realpath(entry["file"]).endswith(os.sep + source) or os.path.realpath(entry["file"]) == os.path.realpath(source):
            words = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
            kept, skip = [], False
            for word in words:
                if skip:
                    skip = False
                    continue
                if word == "-o":
                    skip = True
                    continue
                if word.startswith("-O") or word == "-c" or word.startswith("-Winvalid-pch") or word.endswith(".gch"):
                    continue
                if header_only and word == "-DASYNCREST_SEPARATE_COMPILATION":
                    continue
                kept.append(word)
            return kept[:1] + ["-O2"] + kept[1:] + ["-c", "-o", os.devnull]
    sys.exit(f"{source} is not in compile_commands.json: configure with `cmake --preset bench` first")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "bench"))
    options = parser.parse_args()
    with open(os.path.join(options.build, "compile_commands.json")) as handle:
        commands = json.load(handle)
    runs = {name: [] for name in FILES}
    cpu = {name: [] for name in FILES}
    compile_commands = {name: command_for(commands, *file) for name, file in FILES.items()}
    for _ in range(options.rounds):
        for name, command in compile_commands.items():  # alternate, so both see the same noise
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, check=True, cwd=options.build)
            runs[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    # CPU time (user + system) is the figure to compare: unlike wall time it hardly changes when
    # other work shares the machine.
    floor = statistics.median(cpu["floor (bare Asio)"])
    floor_wall = statistics.median(runs["floor (bare Asio)"])
    print(f"{options.rounds} rounds, -O2, one translation unit each, compiled alternately")
    print(f"{'file':<20} {'CPU s':>7} {'ratio':>6} {'wall s':>7} {'ratio':>6} {'CPU min-max s':>14}")
    for name in FILES:
        median, wall = statistics.median(cpu[name]), statistics.median(runs[name])
        spread = f"{min(cpu[name]):.2f}-{max(cpu[name]):.2f}"
        print(f"{name:<20} {median:>7.2f} {median / floor:>6.2f} {wall:>7.2f} {wall / floor_wall:>6.2f} {spread:>14}")


if __name__ == "__main__":
    main()
