#!/usr/bin/env python3
"""cg-stages.py - the instructions of a callgrind profile split by stage.

Usage: cg-stages.py CALLGRIND_OUT MESSAGES STAGE=REGEX...

For each STAGE, the cost is the inclusive cost of every call from a function
outside the stage into a function whose name matches REGEX (Python re,
fullmatch): nested and recursive calls inside a stage count once, and a
stage's cost is wherever it is called from. Prints one line per stage,
"STAGE INSTRUCTIONS_PER_MESSAGE", then "total N" (every instruction of the
profile, per message). Only the Ir event is read (callgrind's default).
It must never guess: a file it cannot read is an error, not a zero.
"""
import re
import sys


def parse(path):
    """Self cost per function and (caller, callee, inclusive) call arcs."""
    names = {}          # compressed id -> name, for fn/cfn
    self_cost = {}
    arcs = []
    total = 0
    fn = None
    callee = None
    pending_call = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                cost = int(line.split()[-1]) if len(line.split()) > 1 else 0
                if pending_call:
                    arcs.append((fn, callee, cost))
                    pending_call = False
                else:
                    self_cost[fn] = self_cost.get(fn, 0) + cost
                    total += cost
                continue
            key, _, val = line.partition("=")
            if key == "fn" or key == "cfn":
                m = re.match(r"\((\d+)\)(?: (.*))?$", val)
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    name = names.get(m.group(1), val)
                else:
                    name = val
                if key == "fn":
                    fn = name
                else:
                    callee = name
            elif key == "calls":
                pending_call = True
    return self_cost, arcs, total


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    _, arcs, total = parse(sys.argv[1])
    n = float(sys.argv[2])
    for spec in sys.argv[3:]:
        stage, _, rx = spec.partition("=")
        r = re.compile(rx)
        inside = lambda name: name is not None and r.fullmatch(name) is not None
        cost = sum(c for caller, callee, c in arcs if inside(callee) and not inside(caller))
        print(f"{stage} {cost / n:.0f}")
    print(f"total {total / n:.0f}")


if __name__ == "__main__":
    main()
