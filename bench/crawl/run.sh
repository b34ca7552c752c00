#!/usr/bin/env bash
# bench/crawl/run.sh: the crawl benchmark of issue 3 item 11, in one run (docs/benchmarks.md).
#
#   bench/crawl/run.sh [--users N] [--messages M] [--size-scale F] [--seed S] [--half-users K]
#                      [--compress on|off] [--dir DIR] [--build DIR] [--results FILE] [--report]
#
# Generates N mailboxes of M messages (tests/tools/mailgen.py through mailprune-sandbox; default
# 20 x 2,000 at --size-scale 0.65, about 1.5 GB; reused when DIR already holds the same set),
# loads them into a private Dovecot, and inside that one sandbox runs, in this order:
#   1. the ground truth of the set (tests/tools/inventory_truth.py: independent of mailprune);
#   2. bench_imap_baseline --mode bodystructure, twice (the first pass warms Dovecot's caches,
#      the second is the one used): the least a crawl can ask for;
#   3. bench_imap_baseline --mode raw: every message whole = the server's raw byte rate, with
#      COMPRESS=DEFLATE and without (the limit uses the rate of the crawl's setting, the other is
#      reported beside it);
#   4. mailprune crawl --full into a fresh embedded PostgreSQL, timed, peak memory measured;
#   5. mailprune crawl again with nothing changed (incremental), timed;
#   6. mailprune report summary --format json, compared with the ground truth: a wrong inventory
#      stops the benchmark before any speed is reported;
#   7. mailprune crawl --full of the first K mailboxes (default N/2) into another fresh database:
#      peak memory at two mailbox counts.
# --compress on|off (default on): the source's `compress` key in the sandbox's mailprune.toml, set
# before the baselines and crawls; the BODYSTRUCTURE baseline follows it. `off` keeps its files in
# DIR/run-compress-off and DIR/results-compress-off.json, so both settings can be run on one set.
# Then prints each figure against its target and writes everything to the results file (default
# DIR/results.json). `--report` only recomputes the results from the files of the last run in DIR
# (with the same --compress).
# The machine is described by `bench/crawl/run.sh --machine`.
#
# Needs: a build with MAILPRUNE_BUILD_BENCH=ON (mailprune, mailprune-sandbox, bench_imap_baseline),
# python3, GNU time (/usr/bin/time, Debian package `time`). Never run from the test suite: these are
# measurements, not assertions.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

users=20
messages=2000
size_scale=0.65
seed=1
half_users=""
dir=""
build="${MAILPRUNE_BUILD_DIR:-$repo/build}"
results=""
compress=on
inner=0
report_only=0

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

. "$repo/bench/lib.sh"
machine() { bench_machine; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --size-scale) size_scale=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --half-users) half_users=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --compress) compress=$2; shift 2 ;;
    --inner) inner=1; shift ;;
    --report) report_only=1; shift ;;
    --machine) machine; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ -n "$dir" ]] || dir="/tmp/mailprune-bench-${users}x${messages}-s${size_scale}"
[[ -n "$half_users" ]] || half_users=$(( users / 2 > 0 ? users / 2 : 1 ))
[[ "$compress" == on || "$compress" == off ]] || { echo "run.sh: --compress takes on or off, not $compress" >&2; exit 2; }
suffix=""
[[ "$compress" == on ]] || suffix="-compress-off"
[[ -n "$results" ]] || results="$dir/results$suffix.json"
build=$(cd "$build" && pwd)
mailprune="$build/server/cli/mailprune"
sandbox="$build/tests/tools/mailprune-sandbox"
baseline="$build/bench/crawl/bench_imap_baseline"

if [[ $inner -eq 0 && $report_only -eq 0 ]]; then
  for program in "$mailprune" "$sandbox" "$baseline"; do
    [[ -x "$program" ]] || { echo "run.sh: $program is missing: build with -DMAILPRUNE_BUILD_BENCH=ON (or --build DIR)" >&2; exit 1; }
  done
  [[ -x /usr/bin/time ]] || { echo "run.sh: /usr/bin/time is missing: apt-get install time" >&2; exit 1; }
  command -v python3 >/dev/null || { echo "run.sh: python3 is missing" >&2; exit 1; }
  mkdir -p "$dir"
  echo "== machine"; machine | tee "$dir/machine.txt"
  echo "== sandbox: $users users x $messages messages, size scale $size_scale, in $dir (compress $compress)"
  # The sandbox generates (or reuses) the set, starts Dovecot, loads it, writes mailprune.toml, then
  # runs this script again inside it (--inner) with MAILPRUNE_CONFIG set; one Dovecot for every step.
  exec "$sandbox" --dir "$dir" --users "$users" --messages "$messages" --size-scale "$size_scale" --seed "$seed" \
    -- "${BASH_SOURCE[0]}" --inner --users "$users" --messages "$messages" --size-scale "$size_scale" \
    --seed "$seed" --half-users "$half_users" --dir "$dir" --build "$build" --results "$results" \
    --compress "$compress"
fi

out="$dir/run$suffix"
if [[ $report_only -eq 0 ]]; then
# ---- inside the sandbox ----
config="$MAILPRUNE_CONFIG"
rm -rf "$out" "$dir/data" "$dir/data-half"
mkdir -p "$out"
now() { date +%s.%N; }

# The source's compress key, set (or added right under [[source]]) before anything connects; the
# half-scope config below is derived from this file and inherits it.
compress_value=$([[ "$compress" == on ]] && echo true || echo false)
if grep -q '^compress[[:space:]]*=' "$config"; then
  sed -i "s/^compress[[:space:]]*=.*/compress = $compress_value/" "$config"
else
  sed -i "/^\[\[source\]\]/a compress = $compress_value" "$config"
fi
[[ $(grep -c "^compress = $compress_value\$" "$config") -eq 1 ]] || { echo "run.sh: could not set compress in $config" >&2; exit 1; }
echo "$compress" >"$out/compress"
bs_flags=()
[[ "$compress" == on ]] || bs_flags=(--no-compress)

# Runs mailprune with GNU time and samples the process's own VmHWM (peak RSS of mailprune alone:
# /usr/bin/time's figure is the largest of the process and the children it waited for, pg_ctl and
# initdb included). Writes NAME.out (stdout), NAME.err, NAME.time, NAME.hwm, NAME.wall.
timed_mailprune() {
  local name=$1; shift
  local start end tpid child hwm=0 line
  start=$(now)
  /usr/bin/time -v -o "$out/$name.time" "$mailprune" "$@" >"$out/$name.out" 2>"$out/$name.err" &
  tpid=$!
  child=""
  while kill -0 "$tpid" 2>/dev/null; do
    [[ -n "$child" ]] || child=$(pgrep -P "$tpid" | head -1 || true)
    if [[ -n "$child" ]] && line=$(grep '^VmHWM:' "/proc/$child/status" 2>/dev/null); then
      line=${line//[!0-9]/}
      (( line > hwm )) && hwm=$line
    fi
    sleep 0.05
  done
  local rc=0
  wait "$tpid" || rc=$?
  end=$(now)
  echo "$hwm" >"$out/$name.hwm"
  echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' >"$out/$name.wall"
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: mailprune $* failed (exit $rc):" >&2
    tail -20 "$out/$name.err" >&2
    exit 1
  fi
  cat "$out/$name.out"
}

echo "== ground truth (tests/tools/inventory_truth.py)"
python3 "$repo/tests/tools/inventory_truth.py" "$dir/mail" >"$out/truth.json"
cat "$out/truth.json"; echo

echo "== baseline: UID FETCH 1:* (BODYSTRUCTURE) per folder (pass 1 warms Dovecot's caches; pass 2 is used; compress $compress)"
"$baseline" --mode bodystructure "${bs_flags[@]}" --config "$config" >"$out/bodystructure-cold.json"
cat "$out/bodystructure-cold.json"
"$baseline" --mode bodystructure "${bs_flags[@]}" --config "$config" >"$out/bodystructure.json"
cat "$out/bodystructure.json"

echo "== baseline: UID FETCH 1:* (BODY.PEEK[]) per folder, streamed and dropped"
"$baseline" --mode raw --config "$config" >"$out/raw.json"
cat "$out/raw.json"
# The same without COMPRESS (the limit uses the rate of the crawl's setting; both are reported).
"$baseline" --mode raw --no-compress --config "$config" >"$out/raw-plain.json"
cat "$out/raw-plain.json"

echo "== mailprune crawl --full (fresh embedded PostgreSQL)"
"$mailprune" db migrate >"$out/migrate.out" 2>&1  # cluster creation is not crawl time
timed_mailprune crawl-full crawl --full

echo "== mailprune crawl (repeat, nothing changed)"
timed_mailprune crawl-repeat crawl

echo "== mailprune report summary --format json"
"$mailprune" report summary --format json >"$out/report.json"
cat "$out/report.json"; echo

echo "== mailprune crawl --full of $half_users mailboxes (fresh database: memory at a smaller scope)"
half_config="$dir/mailprune-half.toml"
head -n $(( half_users + 1 )) "$dir/mail/agents.csv" >"$dir/agents-half.csv"
sed -e "s#^data_dir = .*#data_dir = \"$dir/data-half\"#" \
    -e "s#^mailboxes_file = .*#mailboxes_file = \"agents-half.csv\"#" "$config" >"$half_config"
"$mailprune" --config "$half_config" db migrate >"$out/migrate-half.out" 2>&1
timed_mailprune crawl-half --config "$half_config" crawl --full
fi

echo "== results"
[[ -f "$out/compress" ]] && compress=$(cat "$out/compress")
python3 - "$out" "$results" "$users" "$messages" "$size_scale" "$half_users" "$compress" <<'PY'
import json, re, sys

out, results_path, users, messages, size_scale, half_users, compress = sys.argv[1:8]
compress_on = compress == "on"
def load(name):
    with open(f"{out}/{name}") as f:
        return json.load(f)
def text(name):
    with open(f"{out}/{name}") as f:
        return f.read()

UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}
def parse_bytes(s):
    value, unit = s.split()
    return float(value) * UNITS[unit]

def parse_duration(s):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?", s)
    h, mi, se = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + se

def crawl_figures(name):
    line = [l for l in text(f"{name}.out").splitlines() if l.startswith("crawl: ")][-1]
    f = {"summary_line": line, "wall_seconds": float(text(f"{name}.wall"))}
    m = re.search(r"(\d+)/(\d+) mailboxes", line); f["mailboxes"] = int(m[1]); f["mailboxes_total"] = int(m[2])
    f["messages"] = int(re.search(r"(\d+) messages", line)[1])
    f["bytes_received"] = parse_bytes(re.search(r"([\d.]+ [kMGTP]?B) received", line)[1])
    m = re.search(r"received \(inventory ([\d.]+ [kMGTP]?B), hashing ([\d.]+ [kMGTP]?B)\)", line)
    f["inventory_bytes_received"] = parse_bytes(m[1]) if m else None
    f["hashing_bytes_received"] = parse_bytes(m[2]) if m else None
    f["bytes_hashed"] = parse_bytes(re.search(r"([\d.]+ [kMGTP]?B) hashed", line)[1])
    m = re.search(r"(\d+) round trips", line)  # crawl sessions only (not hashing, not logins)
    f["round_trips"] = int(m[1]) if m else None
    f["errors"] = int(re.search(r"(\d+) errors", line)[1])
    f["seconds"] = parse_duration(line.rsplit(", ", 1)[1])
    t = text(f"{name}.time")
    f["peak_rss_time_v_kib"] = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)[1])
    f["peak_rss_kib"] = int(text(f"{name}.hwm")) or None
    return f

truth, report = load("truth.json"), load("report.json")
bs, bs_cold, raw = load("bodystructure.json"), load("bodystructure-cold.json"), load("raw.json")
raw_plain = load("raw-plain.json")
full, repeat, half = crawl_figures("crawl-full"), crawl_figures("crawl-repeat"), crawl_figures("crawl-half")

keys = ["mailboxes", "folders", "messages", "message_bytes", "attachments", "attachment_bytes",
        "duplicate_groups", "duplicate_attachments", "reclaimable_bytes"]
mismatch = {k: {"report": report.get(k), "truth": truth.get(k)} for k in keys if report.get(k) != truth.get(k)}
if full["errors"]:
    mismatch["crawl_errors"] = full["errors"]
if mismatch:
    print("run.sh: the inventory is WRONG; no speed is reported:", json.dumps(mismatch, indent=2))
    with open(results_path, "w") as f:
        json.dump({"correct": False, "mismatch": mismatch, "crawl": full}, f, indent=2)
    sys.exit(1)

mailbox_bytes = truth["message_bytes"]
colliding = truth["size_colliding_bytes"]
raw_compress_rate = raw["message_bytes"] / raw["seconds"]
raw_plain_rate = raw_plain["message_bytes"] / raw_plain["seconds"]
raw_rate = raw_compress_rate if compress_on else raw_plain_rate  # the crawl's own setting
limit = bs["seconds"] + colliding / raw_rate
r = {
    "set": {"users": int(users), "messages_per_user": int(messages), "size_scale": float(size_scale),
            "messages": truth["messages"], "mailbox_bytes": mailbox_bytes, "attachments": truth["attachments"],
            "size_colliding_attachments": truth["size_colliding_attachments"], "size_colliding_bytes": colliding},
    "compress": compress_on,
    "correct": True,
    "baseline_bodystructure": bs, "baseline_bodystructure_cold": bs_cold, "baseline_raw": raw,
    "baseline_raw_without_compress": raw_plain,
    "crawl_full": full, "crawl_repeat": repeat, "crawl_half": half, "report": report, "truth": truth,
}
fig = {}
fig["messages_per_second"] = truth["messages"] / full["seconds"]
fig["raw_byte_rate"] = raw_rate
fig["speed_limit_seconds"] = limit
fig["crawl_seconds"] = full["seconds"]
fig["crawl_wall_seconds"] = full["wall_seconds"]
fig["crawl_pct_of_speed_limit"] = 100 * limit / full["seconds"]
# Both comparisons: the limit at the rate the server reaches with COMPRESS and without it (one of
# them is the one above). The BODYSTRUCTURE term is the crawl's setting in both.
fig["compress"] = compress_on
fig["raw_byte_rate_with_compress"] = raw_compress_rate
fig["speed_limit_with_compress_seconds"] = bs["seconds"] + colliding / raw_compress_rate
fig["crawl_pct_of_speed_limit_with_compress"] = 100 * fig["speed_limit_with_compress_seconds"] / full["seconds"]
fig["raw_byte_rate_without_compress"] = raw_plain_rate
fig["speed_limit_without_compress_seconds"] = bs["seconds"] + colliding / raw_plain_rate
fig["crawl_pct_of_speed_limit_without_compress"] = 100 * fig["speed_limit_without_compress_seconds"] / full["seconds"]
inv = full["inventory_bytes_received"]
fig["inventory_traffic_pct"] = 100 * inv / mailbox_bytes if inv is not None else None
fig["hashing_content_vs_colliding"] = full["bytes_hashed"] / colliding if colliding else None
fig["hashing_traffic_vs_colliding"] = (full["hashing_bytes_received"] / colliding
                                       if colliding and full["hashing_bytes_received"] is not None else None)
fig["repeat_round_trips"] = repeat["round_trips"]
fig["repeat_round_trips_per_mailbox"] = (repeat["round_trips"] / repeat["mailboxes"]
                                         if repeat["round_trips"] is not None else None)
fig["repeat_bytes_pct_of_first"] = 100 * repeat["bytes_received"] / full["bytes_received"]
fig["repeat_seconds"] = repeat["seconds"]
fig["peak_rss_mib"] = (full["peak_rss_kib"] or 0) / 1024
fig["peak_rss_time_v_mib"] = full["peak_rss_time_v_kib"] / 1024
fig["peak_rss_half_mib"] = (half["peak_rss_kib"] or 0) / 1024
fig["memory_growth_half_to_full"] = (full["peak_rss_kib"] / half["peak_rss_kib"]
                                     if full["peak_rss_kib"] and half["peak_rss_kib"] else None)
r["figures"] = fig

def verdict(value, ok):
    return "n/a" if value is None else ("met" if ok(value) else "NOT met")
targets = [
    (f"crawl time vs speed limit (compress {compress})", fig["crawl_pct_of_speed_limit"], "%", ">= 50%", lambda v: v >= 50),
    ("inventory traffic / mailbox bytes", fig["inventory_traffic_pct"], "%", "<= 3%", lambda v: v <= 3),
    ("hashing bytes / size-colliding bytes", fig["hashing_content_vs_colliding"], "x", "<= 1.1x", lambda v: v <= 1.1),
    ("repeat crawl round trips / mailbox", fig["repeat_round_trips_per_mailbox"], "", "<= 1", lambda v: v <= 1),
    ("repeat crawl bytes / first crawl", fig["repeat_bytes_pct_of_first"], "%", "<= 1%", lambda v: v <= 1),
    (f"peak RSS {users} vs {half_users} mailboxes", fig["memory_growth_half_to_full"], "x", "flat (<= 1.25x)",
     lambda v: v <= 1.25),
]
r["targets"] = [{"figure": n, "value": v, "target": t, "verdict": verdict(v, ok)} for n, v, _, t, ok in targets]
with open(results_path, "w") as f:
    json.dump(r, f, indent=2)

print(f"set: {truth['messages']} messages, {mailbox_bytes/1e6:.1f} MB in {users} mailboxes; "
      f"{truth['size_colliding_attachments']} size-colliding attachments, {colliding/1e6:.1f} MB")
print(f"compress: {compress} (the crawl's setting; the BODYSTRUCTURE client follows it)")
print(f"BODYSTRUCTURE client: {bs['seconds']:.2f} s (first pass {bs_cold['seconds']:.2f} s); raw with COMPRESS: "
      f"{raw['message_bytes']/1e6:.1f} MB in {raw['seconds']:.2f} s = {raw_compress_rate/1e6:.1f} MB/s "
      f"({raw['bytes_received']/1e6:.1f} MB on the wire); without it: {raw_plain['seconds']:.2f} s = "
      f"{raw_plain_rate/1e6:.1f} MB/s")
print(f"speed limit at the crawl's setting: {bs['seconds']:.2f} + {colliding/1e6:.1f} MB / {raw_rate/1e6:.1f} MB/s "
      f"= {limit:.2f} s; at the COMPRESS rate {fig['speed_limit_with_compress_seconds']:.2f} s (crawl at "
      f"{fig['crawl_pct_of_speed_limit_with_compress']:.1f}%), at the uncompressed rate "
      f"{fig['speed_limit_without_compress_seconds']:.2f} s (crawl at "
      f"{fig['crawl_pct_of_speed_limit_without_compress']:.1f}%)")
print(f"crawl --full: {full['seconds']:.1f} s (wall {full['wall_seconds']:.1f} s), "
      f"{fig['messages_per_second']:.0f} messages/s; {full['summary_line']}")
print(f"repeat crawl: {repeat['summary_line']}")
print(f"peak RSS (VmHWM): {fig['peak_rss_mib']:.1f} MiB at {users} mailboxes, {fig['peak_rss_half_mib']:.1f} MiB at "
      f"{half_users}; /usr/bin/time -v: {fig['peak_rss_time_v_mib']:.1f} MiB")
print()
print(f"{'figure':<42} {'value':>12}  {'target':<16} verdict")
for n, v, unit, t, ok in targets:
    shown = "n/a" if v is None else f"{v:.2f}{unit}"
    print(f"{n:<42} {shown:>12}  {t:<16} {verdict(v, ok)}")
print(f"\nresults: {results_path}")
PY
