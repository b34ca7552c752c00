#!/usr/bin/env bash
# bench/plan/run.sh: the planning benchmark of issue 5 item 3 (docs/benchmarks.md, "Planning").
#
#   bench/plan/run.sh [--attachments N] [--mailboxes M] [--teams T] [--target SIZE] [--dir DIR]
#                     [--build DIR] [--keep]
#
# Starts a private PostgreSQL (initdb in DIR/pg, unix socket only, default settings except
# max_wal_size = 4GB), migrates it with `mailprune db migrate`, generates an inventory of N
# attachments (default 10,000,000) straight in SQL (bench/plan/generate.sql: generate_series,
# no crawl; reused when DIR already holds one of the same size), then times, with three typical
# rules and two holds (written to DIR/mailprune.toml):
#   1. mailprune plan --campaign bench --target SIZE --what-if   (everything, rolled back)
#   2. mailprune plan --campaign bench --target SIZE             (creates the campaign, commits)
#   3. 1,000 proposals approved and 1,000 refused, then the same plan again (a re-plan keeping
#      the decided ones)
# and prints each run's wall time and the planner's own step times (JSON `plan.seconds`), then
# writes them to DIR/results.json. The PostgreSQL server is stopped at the end unless --keep.
# Needs a built `mailprune` (--build, default ./build) and the PostgreSQL server programs.
# Never run from the test suite: these are measurements, not assertions.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
attachments=10000000
mailboxes=450
teams=28
target=1000GB
dir=""
build="${MAILPRUNE_BUILD_DIR:-$repo/build}"
keep=0

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --attachments) attachments=$2; shift 2 ;;
    --mailboxes) mailboxes=$2; shift 2 ;;
    --teams) teams=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
dir=${dir:-/tmp/mailprune-bench-plan-$attachments}
mailprune="$build/server/cli/mailprune"
[ -x "$mailprune" ] || { echo "no $mailprune: build the mailprune target first" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "PostgreSQL server programs not found (apt-get install postgresql)" >&2; exit 2; }

mkdir -p "$dir"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  account=${MAILPRUNE_TEST_ACCOUNT:-mailprune}
  chown "$account" "$dir"
  as_pg=(runuser -u "$account" --)
fi
pg="$dir/pg"
sock="$dir/sock"
port=5439
if [ ! -f "$pg/PG_VERSION" ]; then
  "${as_pg[@]}" mkdir -p "$sock"
  "${as_pg[@]}" "$bindir/initdb" -D "$pg" -U bench --auth=trust -E UTF8 --locale=C >/dev/null
  printf "listen_addresses = ''\nunix_socket_directories = '%s'\nport = %s\nmax_wal_size = 4GB\n" "$sock" "$port" \
    | "${as_pg[@]}" tee -a "$pg/postgresql.conf" >/dev/null
fi
"${as_pg[@]}" "$bindir/pg_ctl" -D "$pg" -l "$dir/pg.log" -w start >/dev/null
stop() { [ "$keep" = 1 ] || "${as_pg[@]}" "$bindir/pg_ctl" -D "$pg" -m fast -w stop >/dev/null; }
trap stop EXIT
psql_() { "$bindir/psql" -X -q -h "$sock" -p "$port" -U bench "$@"; }
psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'mailprune'" | grep -q 1 \
  || psql_ -d postgres -c "CREATE DATABASE mailprune"

cat > "$dir/mailprune.toml" <<TOML
data_dir = "$dir/data"
[database]
url = "host=$sock port=$port dbname=mailprune user=bench"

# Three typical rules: big old attachments first, then duplicated ones, and old trash.
[[rule]]
name = "large-old-attachments"
action = "detach"
approval = "opt-out"
priority = 10
min_attachment_size = "5MB"
older_than = "1y"

[[rule]]
name = "duplicates"
action = "detach"
priority = 5
duplicates_only = true
min_attachment_size = "1MB"
exclude_folders = ["Projects/**"]

[[rule]]
name = "old-trash"
action = "delete"
approval = "auto"
folders = ["Trash", "Junk"]
older_than = "90d"

[[hold]]
mailbox = "agent-007@*"
reason = "litigation"

[[hold]]
folder = "Legal/**"
reason = "legal hold"
TOML
cfg=(--config "$dir/mailprune.toml" --log-level warn)
"$mailprune" "${cfg[@]}" db migrate >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
generated=$(psql_ -d mailprune -tAc "SELECT count(*) FROM attachment")
generate_seconds=null
if [ "$generated" = 0 ]; then
  echo "generating $attachments attachments in $mailboxes mailboxes ($teams teams)..."
  t0=$(now)
  psql_ -d mailprune -v attachments="$attachments" -v mailboxes="$mailboxes" -v teams="$teams" -f "$here/generate.sql"
  generate_seconds=$(elapsed "$t0" "$(now)")
  echo "generated in $generate_seconds s"
else
  echo "reusing the inventory in $dir ($generated attachments)"
  psql_ -d mailprune -c "DELETE FROM campaign; DELETE FROM hold;" >/dev/null
  psql_ -d mailprune -c "VACUUM ANALYZE proposal, plan_skip" >/dev/null  # as autovacuum would, in time
fi
psql_ -d mailprune -tAc "SELECT 'inventory: ' || (SELECT count(*) FROM message) || ' messages, ' ||
  (SELECT count(*) FROM attachment) || ' attachments, ' || (SELECT pg_size_pretty(sum(size)) FROM attachment) ||
  ' of attachments; database ' || pg_size_pretty(pg_database_size('mailprune'))"

run_plan() {  # name, extra args...
  local name=$1; shift
  local t0 t1
  t0=$(now)
  "$mailprune" "${cfg[@]}" plan --campaign bench --format json "$@" > "$dir/$name.json"
  t1=$(now)
  echo "$(elapsed "$t0" "$t1")"
}
what_if=$(run_plan what-if --target "$target" --what-if)
echo "plan --what-if: $what_if s"
first=$(run_plan plan --target "$target")
echo "plan (create + commit): $first s"
psql_ -d mailprune -c "UPDATE proposal SET decision = 'approved', decided_at = now() WHERE id IN
  (SELECT id FROM proposal WHERE decision = 'pending' ORDER BY id LIMIT 1000);
  UPDATE proposal SET decision = 'refused', decided_at = now() WHERE id IN
  (SELECT id FROM proposal WHERE decision = 'pending' ORDER BY id DESC LIMIT 1000);" >/dev/null
replan=$(run_plan replan)
echo "re-plan: $replan s"

python3 - "$dir" "$what_if" "$first" "$replan" "$generate_seconds" <<'PY'
import json, sys
d, what_if, first, replan, generate = sys.argv[1:6]
out = {"generate_seconds": None if generate == "null" else float(generate), "runs": {}}
for name, wall in (("what-if", what_if), ("plan", first), ("replan", replan)):
    j = json.load(open(f"{d}/{name}.json"))
    out["runs"][name] = {"wall_seconds": float(wall), "plan": j["plan"], "proposals": j["proposals"],
                         "target_bytes": j["target_bytes"], "reached": j["reached"],
                         "skipped": j["skipped"], "by_rule": j["by_rule"]}
    p = j["plan"]
    steps = ", ".join(f"{k} {v:.2f}" for k, v in p["seconds"].items())
    print(f"{name}: {float(wall):.1f} s wall; {p['matched']} matches, {p['proposals']} proposals, "
          f"{p['skipped']} skips, {p['kept']} kept; steps (s): {steps}")
json.dump(out, open(f"{d}/results.json", "w"), indent=2)
print(f"results: {d}/results.json")
PY
