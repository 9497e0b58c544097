#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_leak.sh ANONTOP BUILDDIR - the issue's node in batch: leaksim (a
# live process writing anonstat's files) leaks 1 MiB every 2.5 s through
# a C++ pool (ucx::Pool::grow) next to a churning site and 30 workers named
# python3, 90 sites between them, some noisy.  anontop -b -o json -S -s
# leak samples it every second, 14 times (the leak period is longer than
# the interval).  Checked, from what the samples themselves show:
#   - the leak site, named demangled, is a leak suspect exactly in the
#     samples where its live bytes are 2 MiB or more above the first
#     sample's (2 new highs, the default rule), and is then the first
#     site of the list; it is flagged by the end;
#   - no other site (churn, 90 worker sites) is ever flagged, though the
#     churn site both grew and shrank and noisy worker sites changed;
#   - the workers' command lines and the user are there (identity);
#   - the text view (anontop -b -S -s leak 1 8), in its last sample, says
#     LEAK "yes" on the leak's row if it grew 2 MiB, and on no other row.
# Prints the samples from the first growth seen to the flag as a figure.
# Ends with "test_leak: N passed, N failed".
set -u
anontop=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pass=0 fail=0
check() {
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name" >&2
	fi
}
mkdir "$tmp/root"
mkfifo "$tmp/in"
"$bin/leaksim" "$tmp/root" -p 2.5 -t 0.5 -n 30 --stdin <"$tmp/in" >"$tmp/ready" 2>&1 &
sim=$!
exec 3>"$tmp/in"	# leaksim ends when this closes
trap 'exec 3>&-; wait $sim 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
while ! grep -q '^ready' "$tmp/ready" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "leaksim ready" grep -q '^ready' "$tmp/ready"

"$anontop" -b -o json -S -s leak --root "$tmp/root" 1 14 >"$tmp/out.jsonl" 2>"$tmp/err"
check "anontop -b -o json -S -s leak 1 14: exit 0" [ $? -eq 0 ]
check "no error output" [ ! -s "$tmp/err" ]
check "JSON shape (check_json.py --all-sites)" \
	python3 "$here/check_json.py" --all-sites --docs 14 <"$tmp/out.jsonl"
"$anontop" -b -S -s leak --root "$tmp/root" 1 8 >"$tmp/out.txt" 2>&1
python3 - "$tmp/out.jsonl" "$tmp/out.txt" "$(id -un)" >"$tmp/py.out" 2>&1 <<'EOF'
import json, re, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
text = open(sys.argv[2]).read().splitlines()
user = sys.argv[3]
MIB = 1 << 20
LEAK = "libleakpool.so!ucx::Pool::grow(unsigned long)+0x16"
ok = lambda name: print("ok " + name)
bad = lambda name, why: print("FAIL " + name + ": " + why)
def expect(cond, name, why):
    (ok(name) if cond else bad(name, why))

leak = [[s for s in d["sites"] if s["name"] == LEAK] for d in docs]
expect(all(len(l) == 1 for l in leak), "leak site named, demangled",
       "samples with it: %s" % [len(l) for l in leak])
if all(len(l) == 1 for l in leak):
    live = [l[0]["live_bytes"] for l in leak]
    flag = [l[0]["leak_suspect"] for l in leak]
    want = [v >= live[0] + 2 * MIB for v in live]
    expect(flag == want, "flagged exactly at 2 new highs",
           "live MiB %s flagged %s" % ([v / MIB for v in live], flag))
    expect(flag[-1], "flagged by the end", "live MiB %s" % [v / MIB for v in live])
    first = [i for i, d in enumerate(docs) if flag[i] and d["sites"][0]["name"] != LEAK]
    expect(not first, "flagged: first by leak", "samples %s" % first)
    grew = [i for i, v in enumerate(live) if v > live[0]]
    if grew and True in flag:
        print("figure leak_samples_growth_to_flag %d" % (flag.index(True) - grew[0]))
others = [(d["sample"], s["pid"], s["name"]) for d in docs for s in d["sites"]
          if s["name"] != LEAK and s["leak_suspect"]]
expect(not others, "nothing else flagged", "%s" % others[:5])
def series(pred):
    return [[s["live_bytes"] for s in d["sites"] if pred(s)] for d in docs]
churn = [v[0] for v in series(lambda s: s["name"].startswith("leaksim!leaksim_churn")) if v]
expect(len(churn) == len(docs) and any(b > a for a, b in zip(churn, churn[1:]))
       and any(b < a for a, b in zip(churn, churn[1:])),
       "the churn site grew and shrank", "%s" % churn)
nsites = [sum(1 for s in d["sites"] if s["comm"] == "python3") for d in docs]
expect(all(n == 90 for n in nsites), "90 worker sites", "%s" % nsites)
workers = [p for p in docs[-1]["processes"] if p["comm"] == "python3"]
ranks = sorted(int(m.group(1)) for p in workers
               for m in [re.fullmatch(r"python3 -m worker --rank (\d+)", p["cmdline"] or "")] if m)
expect(ranks == list(range(30)), "30 workers' command lines",
       "%s" % [p["cmdline"] for p in workers][:3])
expect(all(p["user"] == user for p in docs[-1]["processes"]), "user",
       "%s" % {p["user"] for p in docs[-1]["processes"]})
# text, the last of 8 samples: ACCUM HIGHS LEAK NAME end each row (the
# name may hold spaces); LEAK is "yes" on the leak's row if it grew
# 2 MiB or more since the first sample, and on no other row
rowre = re.compile(r"\s+([+-]?[\d.]+ [KMGT]iB|[+-]?\d+ B)\s+(\d+)\s+(yes|no)\s+(\S.*)$")
hdr = [i for i, l in enumerate(text) if re.match(r"\s*PID\s+COMM\s", l) and "LEAK" in l]
if hdr:
    rows = [rowre.search(l) for l in text[hdr[-1] + 1:] if l.strip()]
    expect(len(rows) == 92 and all(rows), "text: 92 site rows",
           "%d rows, %d parsed" % (len(rows), sum(1 for r in rows if r)))
    rows = [r for r in rows if r]
    yes = [r.group(4) for r in rows if r.group(3) == "yes"]
    lk = [r for r in rows if r.group(4) == LEAK]
    unit = {"B": 1, "KiB": 1 << 10, "MiB": MIB, "GiB": 1 << 30, "TiB": 1 << 40}
    if len(lk) == 1:
        n, u = lk[0].group(1).lstrip("+").split()
        grown = float(n) * unit[u] >= 2 * MIB
        expect(yes == ([LEAK] if grown else []), "text: LEAK yes on the leak only",
               "accum %s, yes on %s" % (lk[0].group(1), yes))
    else:
        bad("text: the leak's row", "%d rows named %s" % (len(lk), LEAK))
else:
    bad("text: node-wide table", "no header with LEAK in %s" % text[:8])
EOF
sed 's/^/  /' "$tmp/py.out" | grep -v '^  ok '
p=$(grep -c '^ok ' "$tmp/py.out")
f=$(grep -c '^FAIL ' "$tmp/py.out")
pass=$((pass + p))
fail=$((fail + f))
[ "$p" -gt 0 ] || { fail=$((fail + 1)); echo "FAIL: the checker printed no ok line" >&2; }
echo "test_leak: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
