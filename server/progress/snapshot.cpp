#include "progress/snapshot.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "campaign/campaign_store.hpp"
#include "campaign/progress.hpp"

namespace mailprune::progress {
namespace {

// Applied = the action carrying the proposal is done, or purged (a delete past its grace period).
constexpr const char* kTimelineSql = R"SQL(
WITH d AS (
  SELECT done_at, bytes_estimated FROM action
  WHERE campaign_id = $1 AND step IN ('done', 'purged') AND done_at IS NOT NULL),
w AS (
  SELECT greatest(60, ceil(extract(epoch FROM max(done_at) - min(done_at)) / 500))::bigint AS width FROM d)
SELECT (floor(extract(epoch FROM d.done_at) / w.width) * w.width)::bigint AS at, sum(d.bytes_estimated)::bigint
FROM d CROSS JOIN w
GROUP BY 1 ORDER BY 1
)SQL";

constexpr const char* kBreakdownSql = R"SQL(
WITH p AS (
  SELECT p.action, p.bytes, p.decision, coalesce(a.step IN ('done', 'purged'), false) AS applied,
         CASE
           WHEN p.action <> 'detach' THEN 'messages'
           WHEN p.content_type IS NULL THEN 'other'
           WHEN p.content_type = 'application/pdf' THEN 'pdf'
           WHEN p.content_type LIKE 'image/%' THEN 'images'
           WHEN p.content_type LIKE 'video/%' OR p.content_type LIKE 'audio/%' THEN 'media'
           WHEN p.content_type LIKE 'message/%' THEN 'attached_messages'
           WHEN p.content_type IN ('application/zip', 'application/x-zip-compressed', 'application/gzip',
                                   'application/x-gzip', 'application/x-tar', 'application/x-7z-compressed',
                                   'application/x-rar-compressed', 'application/vnd.rar', 'application/x-bzip2')
             THEN 'archives'
           WHEN p.content_type LIKE '%spreadsheet%' OR p.content_type LIKE 'application/vnd.ms-excel%'
                OR p.content_type = 'text/csv' THEN 'spreadsheets'
           WHEN p.content_type LIKE '%presentation%' OR p.content_type LIKE 'application/vnd.ms-powerpoint%'
             THEN 'presentations'
           WHEN p.content_type LIKE '%wordprocessing%' OR p.content_type LIKE 'application/vnd.oasis.opendocument.text%'
                OR p.content_type IN ('application/msword', 'application/rtf', 'text/rtf', 'text/plain')
             THEN 'documents'
           ELSE 'other'
         END AS family
  FROM proposal p
  LEFT JOIN action_proposal ap ON ap.proposal_id = p.id
  LEFT JOIN action a ON a.id = ap.action_id
  WHERE p.campaign_id = $1 AND p.selected)
SELECT GROUPING(action), coalesce(action, ''), coalesce(family, ''), count(*), sum(bytes)::bigint,
       coalesce(sum(bytes) FILTER (WHERE decision = 'approved'), 0)::bigint,
       coalesce(sum(bytes) FILTER (WHERE applied), 0)::bigint
FROM p
GROUP BY GROUPING SETS ((action), (family))
)SQL";

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int action_order(const std::string& action) {
  return action == "detach" ? 0 : action == "archive" ? 1 : 2;
}

nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json breakdown_json(const std::vector<Breakdown>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : rows) {
    out.push_back({{"key", b.key},
                   {"proposals", b.proposals},
                   {"proposed_bytes", b.proposed_bytes},
                   {"approved_bytes", b.approved_bytes},
                   {"freed_bytes", b.freed_bytes}});
  }
  return out;
}

// Everything but computed_at: the part whose changes matter.
nlohmann::json content_json(const ProgressSnapshot& s) {
  nlohmann::json j;
  j["campaign"] = s.campaign;
  j["state"] = s.state;
  j["target_bytes"] = optional_json(s.target_bytes);
  j["deadline"] = s.deadline ? nlohmann::json(*s.deadline) : nlohmann::json(nullptr);
  j["proposals"] = {{"proposed", s.proposed},
                    {"approved", s.approved},
                    {"refused", s.refused},
                    {"pending", s.pending},
                    {"applied", s.applied}};
  j["bytes"] = {{"proposed", s.proposed_bytes},
                {"approved", s.approved_bytes},
                {"pending", s.pending_bytes},
                {"refused", s.refused_bytes},
                {"freed_estimated", s.freed_estimated},
                {"freed_measured", optional_json(s.freed_measured)},
                {"freed", s.freed()}};
  j["agents"] = s.agents;
  j["teams"] = nlohmann::json::array();
  for (const auto& t : s.teams) {
    j["teams"].push_back({{"team", t.team},
                          {"agents", t.agents},
                          {"proposals", t.proposed},
                          {"decided", t.decided},
                          {"proposed_bytes", t.proposed_bytes},
                          {"approved_bytes", t.approved_bytes},
                          {"freed_bytes", t.freed_bytes},
                          {"freed_measured", optional_json(t.freed_measured)}});
  }
  j["timeline"] = nlohmann::json::array();
  for (const auto& p : s.timeline) j["timeline"].push_back({p.at, p.freed_bytes});
  j["by_action"] = breakdown_json(s.by_action);
  j["by_type"] = breakdown_json(s.by_type);
  return j;
}

}  // namespace

ProgressSnapshot compute_snapshot(pqxx::connection& connection, int campaign_id) {
  std::string name;
  {
    pqxx::read_transaction tx(connection);
    name = campaign::campaign_by_id(tx, campaign_id).name;
  }
  campaign::CampaignProgress progress = campaign::campaign_progress(connection, name);
  ProgressSnapshot s;
  s.campaign_id = campaign_id;
  s.campaign = progress.campaign.name;
  s.state = progress.campaign.state;
  s.target_bytes = progress.campaign.target_bytes;
  s.deadline = progress.campaign.deadline;
  const campaign::ProgressCounts& total = progress.total;
  s.proposed = total.proposed;
  s.approved = total.approved;
  s.refused = total.refused;
  s.pending = total.pending;
  s.applied = total.applied;
  s.proposed_bytes = total.proposed_bytes;
  s.approved_bytes = total.approved_bytes;
  s.pending_bytes = total.pending_bytes;
  s.refused_bytes = total.refused_bytes;
  s.freed_estimated = total.freed_estimated;
  s.freed_measured = total.freed_measured;
  for (const auto& team : progress.teams) {
    TeamStanding standing;
    standing.team = team.team;
    standing.agents = team.agents;
    standing.proposed = team.counts.proposed;
    standing.decided = team.counts.approved + team.counts.refused;
    standing.proposed_bytes = team.counts.proposed_bytes;
    standing.approved_bytes = team.counts.approved_bytes;
    standing.freed_bytes = team.counts.freed_estimated;
    standing.freed_measured = team.counts.freed_measured;
    s.agents += team.agents;
    s.teams.push_back(std::move(standing));
  }
  std::stable_sort(s.teams.begin(), s.teams.end(), [](const TeamStanding& a, const TeamStanding& b) {
    if (a.freed_bytes != b.freed_bytes) return a.freed_bytes > b.freed_bytes;
    if (a.approved_bytes != b.approved_bytes) return a.approved_bytes > b.approved_bytes;
    return a.team < b.team;
  });

  pqxx::read_transaction tx(connection);
  std::int64_t cumulative = 0;
  for (const auto& row : tx.exec_params(kTimelineSql, campaign_id)) {
    cumulative += row[1].as<std::int64_t>();
    TimelinePoint point;
    point.at = row[0].as<std::int64_t>();
    point.freed_bytes = cumulative;
    s.timeline.push_back(point);
  }
  for (const auto& row : tx.exec_params(kBreakdownSql, campaign_id)) {
    Breakdown b;
    const bool by_action = row[0].as<int>() == 0;
    b.key = row[by_action ? 1 : 2].as<std::string>();
    b.proposals = row[3].as<std::int64_t>();
    b.proposed_bytes = row[4].as<std::int64_t>();
    b.approved_bytes = row[5].as<std::int64_t>();
    b.freed_bytes = row[6].as<std::int64_t>();
    (by_action ? s.by_action : s.by_type).push_back(std::move(b));
  }
  std::sort(s.by_action.begin(), s.by_action.end(),
            [](const Breakdown& a, const Breakdown& b) { return action_order(a.key) < action_order(b.key); });
  std::sort(s.by_type.begin(), s.by_type.end(), [](const Breakdown& a, const Breakdown& b) {
    if (a.proposed_bytes != b.proposed_bytes) return a.proposed_bytes > b.proposed_bytes;
    return a.key < b.key;
  });
  s.computed_at = utc_now();
  return s;
}

std::string snapshot_json(const ProgressSnapshot& snapshot) {
  nlohmann::json j = content_json(snapshot);
  j["version"] = snapshot_version(snapshot);
  j["computed_at"] = snapshot.computed_at;
  return j.dump();
}

std::string snapshot_version(const ProgressSnapshot& snapshot) {
  const std::string text = content_json(snapshot).dump();
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a, 64 bits
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace mailprune::progress
