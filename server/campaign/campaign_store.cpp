#include "campaign/campaign_store.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "policy/campaign.hpp"

namespace mailprune::campaign {

const std::vector<std::string> kLaunchFrom = {"draft", "crawling", "proposing"};
const std::vector<std::string> kNotifyFrom = {"proposing", "notifying", "collecting"};
const std::vector<std::string> kApplyFrom = {"proposing", "collecting", "applying"};
const std::vector<std::string> kOpenStates = {"draft", "crawling", "proposing", "notifying", "collecting", "applying"};

namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

constexpr const char* kIso = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

std::string iso(const std::string& column) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', {})", column, kIso);
}

const std::string& campaign_columns() {
  static const std::string columns = fmt::format(
      "c.id, c.name, c.target_bytes, c.rules::text, c.scope::text, c.state, c.grace_days, c.language, {}, {}, {},"
      " {}, {}, (c.deadline IS NOT NULL AND c.deadline < now())",
      iso("c.starts_at"), iso("c.deadline"), iso("c.created_at"), iso("c.planned_at"), iso("c.closed_at"));
  return columns;
}

std::optional<std::string> optional_text(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

CampaignRow campaign_from_row(pqxx::transaction_base& tx, const pqxx::row& r) {
  CampaignRow c;
  c.id = r[0].as<int>();
  c.name = r[1].as<std::string>();
  if (!r[2].is_null()) c.target_bytes = r[2].as<std::int64_t>();
  c.rules = nlohmann::json::parse(r[3].as<std::string>());
  c.scope = nlohmann::json::parse(r[4].as<std::string>());
  c.state = r[5].as<std::string>();
  c.grace_days = r[6].as<int>();
  c.language = r[7].as<std::string>();
  c.starts_at = optional_text(r[8]);
  c.deadline = optional_text(r[9]);
  c.created_at = optional_text(r[10]);
  c.planned_at = optional_text(r[11]);
  c.closed_at = optional_text(r[12]);
  c.deadline_passed = r[13].as<bool>();
  for (const auto& a : tx.exec_params(
           "SELECT address, display_name, language FROM campaign_admin WHERE campaign_id = $1 ORDER BY address",
           c.id)) {
    Admin admin;
    admin.address = a[0].as<std::string>();
    admin.display_name = a[1].as<std::string>();
    admin.language = a[2].as<std::string>();
    c.admins.push_back(std::move(admin));
  }
  return c;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A date or date-time as timestamptz text PostgreSQL parses, or CampaignError. `end_of_day`: a bare
// date means its last second.
std::optional<std::string> checked_time(pqxx::transaction_base& tx, const std::string& text, bool end_of_day,
                                        const char* what) {
  if (text.empty()) return std::nullopt;
  static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
  static const std::regex date_time(R"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)");
  bool bare = std::regex_match(text, date);
  if (!bare && !std::regex_match(text, date_time)) {
    throw CampaignError(fmt::format("{} '{}' is not a date (YYYY-MM-DD) or a date-time (RFC 3339)", what, text));
  }
  // A cast error aborts the transaction, which the caller abandons with the exception anyway.
  try {
    return tx
        .exec_params1(bare && end_of_day ? "SELECT (($1::date + 1)::timestamptz - interval '1 second')::text"
                                         : "SELECT $1::timestamptz::text",
                      text)[0]
        .as<std::string>();
  } catch (const pqxx::data_exception&) {
    throw CampaignError(fmt::format("{} '{}' is not a valid date", what, text));
  }
}

// Names of the scope that neither the configuration nor the database knows.
void check_scope(pqxx::transaction_base& tx, const config::Config& config, const policy::CampaignScope& scope) {
  std::vector<std::string> problems;
  std::set<std::string> configured_sources;
  std::set<std::string> configured_teams;
  std::set<std::string> configured_addresses;
  for (const auto& source : config.sources) {
    configured_sources.insert(source.name);
    for (const auto& agent : source.mailboxes) {
      if (!agent.team.empty()) configured_teams.insert(agent.team);
      std::string address = agent.address;
      std::transform(address.begin(), address.end(), address.begin(), [](unsigned char c) { return std::tolower(c); });
      configured_addresses.insert(address);
    }
  }
  for (const auto& source : scope.sources) {
    if (!configured_sources.count(source)) problems.push_back(fmt::format("no [[source]] named '{}'", source));
  }
  for (const auto& team : scope.teams) {
    if (configured_teams.count(team)) continue;
    if (tx.exec_params("SELECT 1 FROM team WHERE name = $1", team).empty()) {
      problems.push_back(fmt::format("no team named '{}' (import agents first: mailprune agents import)", team));
    }
  }
  for (const auto& mailbox : scope.mailboxes) {
    std::string address = mailbox;
    std::transform(address.begin(), address.end(), address.begin(), [](unsigned char c) { return std::tolower(c); });
    if (configured_addresses.count(address)) continue;
    if (tx.exec_params(
              "SELECT 1 FROM mailbox WHERE lower(address) = $1 UNION ALL SELECT 1 FROM agent WHERE address = $1",
              address)
            .empty()) {
      problems.push_back(fmt::format("no mailbox or agent '{}'", mailbox));
    }
  }
  if (!problems.empty()) throw CampaignError("campaign scope: " + join(problems, "; "));
}

}  // namespace

CampaignRow create_campaign(pqxx::transaction_base& tx, const config::Config& config, const CampaignSpec& spec) {
  if (spec.name.empty()) throw CampaignError("a campaign needs a name");
  if (spec.name.size() > 200) throw CampaignError("a campaign name is at most 200 characters");
  if (spec.language != "fr" && spec.language != "en") {
    throw CampaignError(fmt::format("language '{}' is not fr or en", spec.language));
  }
  if (spec.rules.empty()) {
    throw CampaignError(
        "a campaign needs at least one rule: add [[rule]] blocks to the configuration (docs/policy.md)");
  }
  if (spec.target_bytes && *spec.target_bytes <= 0) throw CampaignError("the target must be more than 0 bytes");
  if (spec.grace_days < 0) throw CampaignError("the grace period cannot be negative");
  for (const auto& admin : spec.admins) {
    if (admin.address.find('@') == std::string::npos) {
      throw CampaignError(fmt::format("admin '{}' is not an e-mail address", admin.address));
    }
    if (admin.language != "fr" && admin.language != "en") {
      throw CampaignError(fmt::format("admin language '{}' is not fr or en", admin.language));
    }
  }

  if (!tx.exec_params("SELECT 1 FROM campaign WHERE name = $1", spec.name).empty()) {
    throw CampaignError(fmt::format("a campaign named '{}' already exists", spec.name));
  }
  auto starts_at = checked_time(tx, spec.starts_at, false, "start date");
  auto deadline = checked_time(tx, spec.deadline, true, "deadline");
  if (starts_at && deadline &&
      tx.exec_params1("SELECT $1::timestamptz >= $2::timestamptz", *starts_at, *deadline)[0].as<bool>()) {
    throw CampaignError("the approval deadline must come after the start date");
  }
  check_scope(tx, config, spec.scope);

  auto created = policy::create_campaign(tx, spec.name, spec.rules, spec.scope, spec.target_bytes, spec.grace_days);
  tx.exec_params0(
      "UPDATE campaign SET language = $2, starts_at = $3::timestamptz, deadline = $4::timestamptz WHERE id = $1",
      created.id, spec.language, starts_at ? starts_at->c_str() : nullptr, deadline ? deadline->c_str() : nullptr);
  for (const auto& admin : spec.admins) {
    std::string address = admin.address;
    std::transform(address.begin(), address.end(), address.begin(), [](unsigned char c) { return std::tolower(c); });
    tx.exec_params0(
        "INSERT INTO campaign_admin (campaign_id, address, display_name, language) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (campaign_id, address) DO UPDATE SET display_name = EXCLUDED.display_name,"
        " language = EXCLUDED.language",
        created.id, address, admin.display_name, admin.language);
  }
  tx.exec_params0(
      "INSERT INTO campaign_event (campaign_id, step, from_state, to_state, detail, host, pid)"
      " VALUES ($1, 'create', NULL, 'draft', $2, $3, $4)",
      created.id, fmt::format("{} rule(s)", spec.rules.size()), host_name(), static_cast<int>(::getpid()));
  return campaign_by_id(tx, created.id);
}

CampaignRow create_campaign(pqxx::connection& connection, const config::Config& config, const CampaignSpec& spec) {
  pqxx::work tx(connection);
  auto row = create_campaign(tx, config, spec);
  tx.commit();
  return row;
}

std::optional<CampaignRow> find_campaign(pqxx::transaction_base& tx, const std::string& name_or_id) {
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM campaign c WHERE c.name = $1", campaign_columns()), name_or_id);
  if (rows.empty() && all_digits(name_or_id) && name_or_id.size() < 10) {
    rows =
        tx.exec_params(fmt::format("SELECT {} FROM campaign c WHERE c.id = $1::int", campaign_columns()), name_or_id);
  }
  if (rows.empty()) return std::nullopt;
  return campaign_from_row(tx, rows[0]);
}

CampaignRow require_campaign(pqxx::transaction_base& tx, const std::string& name_or_id) {
  auto campaign = find_campaign(tx, name_or_id);
  if (!campaign) {
    throw CampaignError(fmt::format("no campaign named '{}' (mailprune campaign list shows them)", name_or_id));
  }
  return *campaign;
}

CampaignRow campaign_by_id(pqxx::transaction_base& tx, int campaign_id) {
  auto rows = tx.exec_params(fmt::format("SELECT {} FROM campaign c WHERE c.id = $1", campaign_columns()), campaign_id);
  if (rows.empty()) throw CampaignError(fmt::format("no campaign with id {}", campaign_id));
  return campaign_from_row(tx, rows[0]);
}

std::vector<CampaignRow> list_campaigns(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);
  std::vector<CampaignRow> out;
  for (const auto& row : tx.exec(fmt::format("SELECT {} FROM campaign c ORDER BY c.id", campaign_columns()))) {
    out.push_back(campaign_from_row(tx, row));
  }
  return out;
}

std::vector<CampaignEvent> campaign_events(pqxx::transaction_base& tx, int campaign_id) {
  std::vector<CampaignEvent> events;
  for (const auto& row :
       tx.exec_params(fmt::format("SELECT {}, step, coalesce(from_state, ''), to_state, detail FROM campaign_event"
                                  " WHERE campaign_id = $1 ORDER BY id",
                                  iso("at")),
                      campaign_id)) {
    CampaignEvent event;
    event.at = row[0].as<std::string>();
    event.step = row[1].as<std::string>();
    event.from_state = row[2].as<std::string>();
    event.to_state = row[3].as<std::string>();
    event.detail = row[4].as<std::string>();
    events.push_back(std::move(event));
  }
  return events;
}

std::string transition(pqxx::transaction_base& tx, int campaign_id, const std::vector<std::string>& from,
                       const std::string& to_state, const std::string& step, const std::string& detail) {
  auto rows = tx.exec_params("SELECT name, state FROM campaign WHERE id = $1 FOR UPDATE", campaign_id);
  if (rows.empty()) throw CampaignError(fmt::format("no campaign with id {}", campaign_id));
  auto name = rows[0][0].as<std::string>();
  auto state = rows[0][1].as<std::string>();
  if (std::find(from.begin(), from.end(), state) == from.end()) {
    throw CampaignError(
        fmt::format("campaign '{}' is {}: {} needs it to be {}", name, state, step, join(from, " or ")));
  }
  if (state != to_state) {
    tx.exec_params0("UPDATE campaign SET state = $2 WHERE id = $1", campaign_id, to_state);
  }
  tx.exec_params0(
      "INSERT INTO campaign_event (campaign_id, step, from_state, to_state, detail, host, pid)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7)",
      campaign_id, step, state, to_state, detail, host_name(), static_cast<int>(::getpid()));
  return state;
}

void record_event(pqxx::transaction_base& tx, int campaign_id, const std::string& step, const std::string& detail) {
  tx.exec_params0(
      "INSERT INTO campaign_event (campaign_id, step, from_state, to_state, detail, host, pid)"
      " SELECT id, $2, state, state, $3, $4, $5 FROM campaign WHERE id = $1",
      campaign_id, step, detail, host_name(), static_cast<int>(::getpid()));
}

CloseResult close_campaign(pqxx::transaction_base& tx, int campaign_id, const std::string& detail) {
  CloseResult result;
  auto rows = tx.exec_params("SELECT state FROM campaign WHERE id = $1 FOR UPDATE", campaign_id);
  if (rows.empty()) throw CampaignError(fmt::format("no campaign with id {}", campaign_id));
  result.previous_state = rows[0][0].as<std::string>();
  if (result.previous_state == "closed") return result;
  result.notifications_cancelled =
      static_cast<int>(tx.exec_params0("UPDATE notification SET status = 'cancelled', last_error = 'campaign closed'"
                                       " WHERE campaign_id = $1 AND status = 'pending'",
                                       campaign_id)
                           .affected_rows());
  transition(tx, campaign_id, kOpenStates, "closed", "close", detail);
  tx.exec_params0("UPDATE campaign SET closed_at = now() WHERE id = $1", campaign_id);
  return result;
}

CloseResult close_campaign(pqxx::connection& connection, int campaign_id, const std::string& detail) {
  pqxx::work tx(connection);
  auto result = close_campaign(tx, campaign_id, detail);
  tx.commit();
  return result;
}

}  // namespace mailprune::campaign
