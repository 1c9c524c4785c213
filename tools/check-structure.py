#!/usr/bin/env python3
"""The house rules a compiler does not check (make test runs this):

- core/ is an ordinary library: it never includes anything of preload/ or
  cli/, and preload/ never includes cli/;
- no include cycle among the project's own headers;
- no function in core/ or preload/ longer than MAX_LINES lines, its
  signature and braces included.

Prints one line per breach and exits 1 if there is any."""
import os
import re
import sys

MAX_LINES = 60
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ("core", "preload", "cli")
# Who may include whom: a folder's files may include its own and these.
ALLOWED = {"core": {"core"}, "preload": {"core", "preload"}, "cli": {"core", "cli"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources():
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith((".c", ".h")):
                yield os.path.join(d, name)


def includes(path):
    """The project files path includes, as paths relative to ROOT."""
    out = []
    with open(os.path.join(ROOT, path)) as f:
        for line in f:
            m = INCLUDE.match(line)
            if m:
                target = os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
                if os.path.exists(os.path.join(ROOT, target)):
                    out.append(target)
    return out


def layer_breaches(graph):
    for path, targets in graph.items():
        own = path.split(os.sep)[0]
        for t in targets:
            if t.split(os.sep)[0] not in ALLOWED[own]:
                yield f"{path}: includes {t} ({own}/ may include only {', '.join(sorted(ALLOWED[own]))})"


def cycles(graph):
    """Every include cycle among headers, each once."""
    seen, found = set(), []

    def walk(node, stack):
        for t in graph.get(node, ()):
            if not t.endswith(".h"):
                continue
            if t in stack:
                cycle = stack[stack.index(t):] + [t]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append(" -> ".join(cycle))
            elif len(stack) < 64:
                walk(t, stack + [t])

    for h in graph:
        if h.endswith(".h"):
            walk(h, [h])
    return found


def long_functions(path):
    """Functions written the house way: the signature starts in column 0,
    the body opens with '{' and closes with '}' alone in column 0."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if start is None and line == "{" and i > 0:
            j = i - 1  # back to the first line of the signature
            while j > 0 and lines[j - 1] and not lines[j - 1].endswith((";", "}", "*/")) \
                    and lines[j - 1][0] in " \t":
                j -= 1
            while j > 0 and lines[j - 1] and lines[j - 1][0] not in " \t#/}" \
                    and not lines[j - 1].endswith((";", "}", "*/")):
                j -= 1
            start = j
        elif start is not None and line == "}":
            n = i - start + 1
            if n > MAX_LINES:
                name = re.search(r"(\w+)\s*\(", " ".join(lines[start:i]))
                yield f"{path}:{start + 1}: {name.group(1) if name else '?'} is {n} lines (at most {MAX_LINES})"
            start = None


def main():
    graph = {p: includes(p) for p in sources()}
    problems = list(layer_breaches(graph))
    problems += [f"include cycle: {c}" for c in cycles(graph)]
    for p in graph:
        if p.startswith(("core", "preload")) and p.endswith(".c"):
            problems += list(long_functions(p))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
