#!/usr/bin/env bash
# bench/apply/run.sh: the detach benchmark of issue 5 item 12 (docs/benchmarks.md): detaches per
# second and bytes sent per detach, with APPEND CATENATE and with a whole-message APPEND.
#
#   bench/apply/run.sh [--users N] [--messages M] [--size-scale F] [--seed S] [--min-size SIZE]
#                      [--connections C] [--dir DIR] [--build DIR]
#
# Generates N mailboxes of M messages (tests/tools/mailgen.py through mailprune-sandbox; default
# 4 x 300 at --size-scale 0.3; the mail is reused when DIR already holds the same set). Then, once
# with the source's `catenate = true` and once with `catenate = false`, each in a fresh sandbox
# (a new Dovecot loaded with the same mail, a new embedded PostgreSQL):
#   1. mailprune crawl --full, then mailprune plan with one rule: detach every attachment of at
#      least --min-size (default 20kB), approval auto;
#   2. mailprune apply, timed (wall clock): every detach journaled, archived, uploaded, verified
#      and the original removed, as in production;
#   3. the figures: detaches (actions done) per second, and connector bytes sent per detach (every
#      command of the apply: SELECT, FETCH, APPEND, STORE, EXPUNGE; from the apply's own traffic
#      count, logged as "... bytes sent ..."), next to the attachment bytes freed per detach.
# COMPRESS is off in both runs, so the bytes are the protocol's own. Results go to
# DIR/results.json and are printed. The machine is described by `bench/apply/run.sh --machine`.
#
# Needs: a build with MAILPRUNE_BUILD_TESTS=ON (mailprune, mailprune-sandbox); python3. Never run
# from the test suite: these are measurements, not assertions.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

users=4
messages=300
size_scale=0.3
seed=3
min_size=20kB
connections=2
dir=""
build="${MAILPRUNE_BUILD_DIR:-$repo/build}"
inner=""

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

. "$repo/bench/lib.sh"
machine() { bench_machine; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --size-scale) size_scale=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --min-size) min_size=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --inner) inner=$2; shift 2 ;;
    --machine) machine; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ -n "$dir" ]] || dir="/tmp/mailprune-bench-apply-${users}x${messages}-s${size_scale}"
build=$(cd "$build" && pwd)
mailprune="$build/server/cli/mailprune"
sandbox="$build/tests/tools/mailprune-sandbox"

if [[ -z "$inner" ]]; then
  for program in "$mailprune" "$sandbox"; do
    [[ -x "$program" ]] || { echo "run.sh: $program is missing (build mailprune and mailprune-sandbox)" >&2; exit 1; }
  done
  mkdir -p "$dir"
  echo "== machine"; machine | tee "$dir/machine.txt"
  for catenate in true false; do
    echo "== catenate = $catenate: sandbox with $users users x $messages messages, size scale $size_scale, in $dir"
    "$sandbox" --dir "$dir" --users "$users" --messages "$messages" --size-scale "$size_scale" --seed "$seed" \
      -- "${BASH_SOURCE[0]}" --inner "$catenate" --users "$users" --messages "$messages" \
      --size-scale "$size_scale" --seed "$seed" --min-size "$min_size" --connections "$connections" \
      --dir "$dir" --build "$build" >"$dir/sandbox-$catenate.log" 2>&1 ||
      { echo "run.sh: the run with catenate = $catenate failed:" >&2; tail -30 "$dir/sandbox-$catenate.log" >&2; exit 1; }
    grep -E '^(== |  )' "$dir/sandbox-$catenate.log" || true
  done
  python3 - "$dir" <<'EOF'
import json, sys
d = sys.argv[1]
runs = {c: json.load(open(f"{d}/run-{c}.json")) for c in ("true", "false")}
print(json.dumps(runs, indent=1))
json.dump(runs, open(f"{d}/results.json", "w"), indent=1)
for c, r in runs.items():
    print(f"catenate = {c:5}: {r['detaches']} detaches in {r['seconds']:.1f} s = {r['detaches_per_second']:.1f}/s; "
          f"{r['bytes_sent_per_detach']:.0f} bytes sent per detach ({r['freed_per_detach']:.0f} attachment bytes freed per detach)")
EOF
  exit 0
fi

# ---- inside the sandbox (MAILPRUNE_CONFIG points at its configuration) ----
config="$MAILPRUNE_CONFIG"
rm -rf "$dir/data"
# COMPRESS off, CATENATE as asked, right under [[source]]; one detach rule.
sed -i -e '/^compress[[:space:]]*=/d' -e '/^catenate[[:space:]]*=/d' -e '/^max_connections[[:space:]]*=/d' "$config"
sed -i "/^\[\[source\]\]/a compress = false\ncatenate = $inner\nmax_connections = $connections" "$config"
cat >>"$config" <<EOF

[[rule]]
name = "bench"
action = "detach"
approval = "auto"
min_attachment_size = "$min_size"
EOF
out="$dir/out-$inner"
rm -rf "$out"; mkdir -p "$out"
"$mailprune" db migrate >"$out/migrate.log" 2>&1
echo "  crawl: $("$mailprune" crawl --full 2>"$out/crawl.err")"
"$mailprune" plan --campaign bench >"$out/plan.out" 2>&1
start=$(date +%s.%N)
"$mailprune" --log-format text apply --campaign bench >"$out/apply.out" 2>"$out/apply.err"
end=$(date +%s.%N)
echo "  apply: $(cat "$out/apply.out")"
python3 - "$out" "$start" "$end" "$dir/run-$inner.json" <<'EOF'
import json, re, sys
out, start, end, result = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
log = open(f"{out}/apply.err").read()
m = re.search(r"apply run \d+: (\d+) done, (\d+) skipped, (\d+) failed; (\d+) bytes sent, (\d+) bytes received, (\d+) round trips", log)
if not m:
    sys.exit("run.sh: no traffic line in the apply log")
done, skipped, failed, sent, received, trips = map(int, m.groups())
if failed or done == 0:
    sys.exit(f"run.sh: apply did {done} detaches with {failed} failures: not a benchmark")
summary = open(f"{out}/apply.out").read()
freed = re.search(r"freed ([0-9.]+) (B|kB|MB|GB)", summary)
unit = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
freed_bytes = float(freed.group(1)) * unit[freed.group(2)] if freed else 0
seconds = end - start
r = {"detaches": done, "skipped": skipped, "seconds": seconds, "detaches_per_second": done / seconds,
     "bytes_sent": sent, "bytes_sent_per_detach": sent / done, "bytes_received": received,
     "round_trips": trips, "round_trips_per_detach": trips / done, "freed_per_detach": freed_bytes / done}
json.dump(r, open(result, "w"), indent=1)
print("  " + json.dumps(r))
EOF
