#!/usr/bin/env bash
# bench/http/run.sh: the HTTP benchmark of issue 7 item 8 (docs/benchmarks.md): requests per
# second and latency percentiles of the cached live progress page and of an agent's review page,
# under wrk.
#
#   bench/http/run.sh [--duration SECONDS] [--connections C] [--threads T] [--agents N]
#                     [--build DIR] [--machine]
#
# 1. Starts a throwaway PostgreSQL (initdb in a temp folder, loopback only, as the `mailprune`
#    account when root) and generates a campaign like the département's: 28 teams, N agents
#    (default 450) with one mailbox each, 40 proposals per agent (detach PDFs, images, office
#    files; archive; delete), a third of them applied over three weeks, measured sizes.
# 2. `mailprune campaign progress-page bench --public`, then `mailprune serve` ([server] threads
#    = 2, the access log on as in production, [progress] refresh_seconds = 2).
# 3. wrk against /progress/bench (the cached page) and /review/<token> (a valid review link
#    minted with the server's review key, stored as `campaign notify` stores it; each request
#    reads the agent's proposals from PostgreSQL).
# Prints wrk's output and a summary line per page. Installs wrk (Debian package) when missing.
# Never run from the test suite: these are measurements, not assertions. wrk, the server and
# PostgreSQL share the machine's cores.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/bench/lib.sh"

duration=15
connections=64
threads=2
agents=450
build="${MAILPRUNE_BUILD_DIR:-$repo/build}"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --agents) agents="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --machine) bench_machine; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

mailprune="$build/server/cli/mailprune"
[ -x "$mailprune" ] || { echo "no $mailprune: build first (scripts/build)" >&2; exit 2; }
if ! command -v wrk >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "bench: installing wrk (Debian package)"
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 || {
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends wrk >/dev/null
  }
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pg_bin" ] || { echo "PostgreSQL is not installed: run scripts/setup" >&2; exit 2; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /tmp/mailprune-bench-http.XXXXXX)
pg_pid=""
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown mailprune: "$work"
  as_pg=(runuser -u mailprune --)
fi
pg_port=$(free_port)
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U bench --auth=trust >/dev/null
"${as_pg[@]}" "$pg_bin/postgres" -D "$work/pg" -p "$pg_port" -k "$work" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c max_connections=50 >"$work/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 100); do
  "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q && break
  sleep 0.1
done
psql_bench() { "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U bench -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_bench -d postgres -c "CREATE DATABASE mailprune"

http_port=$(free_port)
config="$work/mailprune.toml"
cat >"$config" <<TOML
data_dir = "$work/data"
[database]
url = "postgresql://bench@127.0.0.1:$pg_port/mailprune"
[server]
listen = ["127.0.0.1:$http_port"]
threads = 2
[progress]
refresh_seconds = 2
TOML
"$mailprune" --config "$config" db migrate >/dev/null

echo "bench: generating a campaign: 28 teams, $agents agents, $((agents * 40)) proposals"
psql_bench -d mailprune <<SQL
INSERT INTO source (name, kind) VALUES ('bench', 'imap');
INSERT INTO team (name) SELECT 'Équipe ' || i FROM generate_series(1, 28) i;
INSERT INTO agent (address, display_name, team_id)
  SELECT 'agent' || i || '@example.org', 'Agent ' || i, (SELECT id FROM team WHERE name = 'Équipe ' || (1 + i % 28))
  FROM generate_series(1, $agents) i;
INSERT INTO mailbox (source_id, address, display_name, message_bytes)
  SELECT (SELECT id FROM source), 'agent' || i || '@example.org', 'Agent ' || i, 2000000000
  FROM generate_series(1, $agents) i;
INSERT INTO campaign (name, target_bytes, state, deadline) VALUES ('bench', 1000000000000, 'applying', now() + interval '7 days');
INSERT INTO proposal (campaign_id, rule_name, rule_priority, action, approval, selected, decision, mailbox_id,
                      folder_name, uidvalidity, uid, message_size, section, attachment_name, content_type, bytes,
                      subject, from_address)
  SELECT c.id, 'big', 10,
         CASE WHEN n % 10 = 8 THEN 'archive' WHEN n % 10 = 9 THEN 'delete' ELSE 'detach' END,
         'opt-out', true,
         CASE WHEN n % 7 = 0 THEN 'refused' WHEN n % 3 = 0 THEN 'pending' ELSE 'approved' END,
         m.id, 'INBOX', 1, n, 5000000, '2',
         'file' || n || '.bin',
         (ARRAY['application/pdf', 'image/jpeg', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                'application/zip', 'video/mp4', 'application/msword'])[1 + n % 6],
         1000000 + (n * 7919 % 9000000), 'Subject ' || n, 'someone@example.org'
  FROM campaign c, mailbox m, generate_series(1, 40) n WHERE c.name = 'bench';
WITH picked AS (
  SELECT p.id, p.campaign_id, p.mailbox_id, p.uid, p.bytes, p.action, row_number() OVER () AS k
  FROM proposal p WHERE p.decision = 'approved' AND p.id % 3 = 0),
a AS (
  INSERT INTO action (campaign_id, kind, mailbox_id, folder_name, uidvalidity, uid, step, bytes_estimated, done_at)
  SELECT campaign_id, action, mailbox_id, 'INBOX', 1, uid, 'done', bytes,
         now() - (k * interval '21 days' / (SELECT count(*) FROM picked))
  FROM picked RETURNING id, mailbox_id, uid)
INSERT INTO action_proposal (proposal_id, action_id)
  SELECT p.id, a.id FROM a JOIN proposal p ON p.mailbox_id = a.mailbox_id AND p.uid = a.uid;
WITH r AS (INSERT INTO apply_run (campaign_id, status) SELECT id, 'done' FROM campaign RETURNING id)
INSERT INTO apply_measure (apply_run_id, mailbox_id, bytes_before, bytes_after)
  SELECT r.id, m.id, 2000000000, 2000000000 - coalesce((SELECT sum(bytes_estimated) FROM action a WHERE a.mailbox_id = m.id), 0)
  FROM r, mailbox m;
ANALYZE;
SQL

"$mailprune" --config "$config" campaign progress-page bench --public
"$mailprune" --config "$config" --log-format json serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# A review link for agent 1, signed as server/review/token.hpp describes, with the key serve uses.
campaign_id=$(psql_bench -d mailprune -tA -c "SELECT id FROM campaign WHERE name = 'bench'")
agent_id=$(psql_bench -d mailprune -tA -c "SELECT id FROM agent WHERE address = 'agent1@example.org'")
read -r token digest < <(/usr/bin/python3 - "$work/data/keys/review.key" "$campaign_id" "$agent_id" <<'PY'
import base64, hashlib, hmac, os, struct, sys, time
key = bytes.fromhex(open(sys.argv[1]).read().strip())
payload = bytes([1]) + struct.pack(">qqqq", int(sys.argv[2]), int(sys.argv[3]), int(time.time()), 0) + os.urandom(16)
mac = hmac.new(key, b"mailprune review token v1\n" + payload, hashlib.sha256).digest()
token = base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")
print(token, hashlib.sha256(token.encode()).hexdigest())
PY
)
psql_bench -d mailprune -c "INSERT INTO review_token (campaign_id, agent_id, token_sha256) VALUES ($campaign_id, $agent_id, decode('$digest', 'hex'))"

progress_url="http://127.0.0.1:$http_port/progress/bench"
review_url="http://127.0.0.1:$http_port/review/$token"
for url in "$progress_url" "$review_url"; do
  code=$(curl -s -o "$work/page.html" -w '%{http_code}' "$url")
  [ "$code" = 200 ] || { echo "bench: $url answered $code" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
done
echo "bench: both pages answer 200; serve pid $serve_pid"

summary=()
for page in progress review; do
  url=$progress_url
  [ "$page" = review ] && url=$review_url
  curl -s -o /dev/null "$url"  # warm the cache and the connections
  echo "== $page: wrk -t$threads -c$connections -d${duration}s --latency"
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$url")
  echo "$out"
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $5}')
  summary+=("$page: ${rps} requests/s, p50 ${p50}, p99 ${p99}, non-2xx ${errors:-0}")
done
echo
echo "== summary ($connections connections, $threads wrk threads, ${duration}s each; server threads = 2)"
printf '%s\n' "${summary[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
