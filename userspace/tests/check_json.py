#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_json.py [--sites | --all-sites] [--docs N] < OUTPUT

Check anontop -o json output: one JSON document per line (JSON Lines),
each with the shape scripts rely on (anontop.8, JSON OUTPUT): the keys, and
numbers that are numbers (int, or float for rates), booleans, strings or
null where the man page says so.  Prints what is wrong; exit 0 if nothing.
"""
import json
import sys

NUM = (int, float)
STR_OR_NULL = (str, type(None))
PROC = {"pid": int, "comm": str, "live_bytes": int, "live_regions": int,
        "maps": int, "unmaps": int, "peak_bytes": int, "exited": bool,
        "growth_bytes_per_s": NUM + (type(None),), "cmdline": STR_OR_NULL,
        "user": STR_OR_NULL, "cgroup": STR_OR_NULL,
        "container": STR_OR_NULL, "accum_bytes": int,
        "highs": int, "lifetime_rates": bool, "leak_suspect": bool}
SITE = {"id": int, "kind": str, "maps": int, "unmaps": int,
        "live_regions": int, "live_bytes": int, "peak_bytes": int,
        "resident_bytes": (int, type(None)),
        "growth_bytes_per_s": NUM + (type(None),), "leak_suspect": bool,
        "accum_bytes": int, "highs": int, "lifetime_rates": bool,
        "frames": list}
# the node-wide list (-S): each site names its process too
ALL_SITE = dict(SITE, pid=int, comm=str)
FORMAT = 2
FRAME = {"addr": str, "module": (str, type(None)),
         "symbol": (str, type(None)), "offset": int}


def shape(obj, want, where, errors):
    if not isinstance(obj, dict):
        errors.append("%s: not an object" % where)
        return
    for key, types in want.items():
        if key not in obj:
            errors.append("%s: no \"%s\"" % (where, key))
        elif not isinstance(obj[key], types) or (
                isinstance(obj[key], bool) and types in (int, NUM)):
            errors.append("%s: \"%s\" is %r" % (where, key, obj[key]))


def main():
    sites = "--sites" in sys.argv
    all_sites = "--all-sites" in sys.argv
    docs = None
    if "--docs" in sys.argv:
        docs = int(sys.argv[sys.argv.index("--docs") + 1])
    errors = []
    lines = sys.stdin.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if docs is not None and len(lines) != docs:
        errors.append("%d documents, want %d" % (len(lines), docs))
    for n, line in enumerate(lines, 1):
        try:
            doc = json.loads(line)
        except ValueError as e:
            errors.append("line %d: not JSON: %s" % (n, e))
            continue
        if not isinstance(doc.get("time"), NUM) or isinstance(doc.get("time"), bool):
            errors.append("line %d: \"time\" is %r" % (n, doc.get("time")))
        if doc.get("format") != FORMAT or isinstance(doc.get("format"), bool):
            errors.append("line %d: \"format\" is %r" % (n, doc.get("format")))
        if all_sites != ("sites" in doc):
            errors.append("line %d: \"sites\" %s" % (n, "missing" if all_sites else "present"))
        listed = doc.get("sites", [])
        for s in listed if isinstance(listed, list) else [None]:
            where = "line %d sites" % n
            if s is None:
                errors.append("%s: not a list" % where)
                break
            swhere = "%s pid %s site %s" % (where, s.get("pid"), s.get("id"))
            shape(s, ALL_SITE, swhere, errors)
            for f in s.get("frames", []):
                shape(f, FRAME, swhere + " frame", errors)
        procs = doc.get("processes")
        if not isinstance(procs, list):
            errors.append("line %d: no \"processes\" list" % n)
            continue
        for p in procs:
            where = "line %d pid %s" % (n, p.get("pid"))
            shape(p, PROC, where, errors)
            if sites != ("sites" in p):
                errors.append("%s: \"sites\" %s" % (where, "missing" if sites else "present"))
            for s in p.get("sites", []):
                swhere = "%s site %s" % (where, s.get("id"))
                shape(s, SITE, swhere, errors)
                if not s.get("frames"):
                    errors.append("%s: no frames" % swhere)
                for f in s.get("frames", []):
                    shape(f, FRAME, swhere + " frame", errors)
                    if not str(f.get("addr", "")).startswith("0x"):
                        errors.append("%s: addr %r" % (swhere, f.get("addr")))
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
