// campaign_store.hpp: campaigns as the admin sees them: create, find, list, close, and the
// explicit state machine (schema/002_policy.sql `campaign`, schema/006_campaigns.sql
// `campaign_event`, `campaign_admin`).
//
// States and the steps that move between them (every step may be run again; a step refused in the
// current state says which states it needs):
//
//   draft --launch--> crawling --(crawl done)--> proposing --(plan written; stays)--> proposing
//   proposing|notifying|collecting --notify--> notifying --(every review e-mail sent)--> collecting
//   proposing|collecting|applying --apply--> applying --(apply done)--> collecting
//   any --close--> closed (pending e-mails cancelled; review links then show "campaign closed")
//
// `launch` may be rerun from draft, crawling or proposing (an interrupted crawl or a new plan);
// once agents have been written to (notifying and later) it is refused, so that a new plan never
// replaces proposals agents are deciding on.
//
// Functions taking a transaction run in it and never commit; the others open their own. Every
// state change is a campaign_event row (who: host and pid). The changes an admin makes (create,
// close) come in both forms: the API runs them in its own transaction so that the audit row
// (auth/audit.hpp) commits with the change or not at all; the connection forms commit alone.
#pragma once

#include <pqxx/pqxx>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "policy/campaign.hpp"

namespace mailprune::campaign {

// The user's to fix: an unknown campaign, a step refused in the current state, a bad date.
class CampaignError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Admin {
  std::string address;
  std::string display_name;
  std::string language = "fr";
};

struct CampaignSpec {
  std::string name;
  std::vector<config::Rule> rules;  // snapshotted as JSON (policy::rules_to_json)
  policy::CampaignScope scope;
  std::optional<std::int64_t> target_bytes;
  int grace_days = 30;
  std::string language = "fr";  // fr | en: the campaign's default (admin e-mails)
  // "YYYY-MM-DD" or an RFC 3339 date-time; "" none. A bare date is the start of that day for
  // starts_at and the end of it (23:59:59) for the deadline, in the database's time zone.
  std::string starts_at;
  std::string deadline;
  std::vector<Admin> admins;
};

struct CampaignEvent {
  std::string at;  // ISO 8601 UTC
  std::string step;
  std::string from_state;
  std::string to_state;
  std::string detail;
};

struct CampaignRow {
  int id = 0;
  std::string name;
  std::optional<std::int64_t> target_bytes;
  nlohmann::json rules = nlohmann::json::array();
  nlohmann::json scope = nlohmann::json::object();
  std::string state;
  int grace_days = 30;
  std::string language;
  // ISO 8601 UTC ("2024-03-21T22:59:59Z"); nullopt when unset.
  std::optional<std::string> starts_at, deadline, created_at, planned_at, closed_at;
  bool deadline_passed = false;
  std::vector<Admin> admins;
};

// Checks the spec (name, language, dates, deadline after start, at least one rule, scope names
// known to the configuration or the database) and creates a draft campaign with its admins.
// Throws CampaignError (a name already taken included). The transaction form writes in `tx` and
// never commits (after a CampaignError `tx` may be aborted: abandon it); the connection form
// commits its own transaction.
CampaignRow create_campaign(pqxx::transaction_base& tx, const config::Config& config, const CampaignSpec& spec);
CampaignRow create_campaign(pqxx::connection& connection, const config::Config& config, const CampaignSpec& spec);

// By name, or by id when `name_or_id` is all digits and no campaign has that name. nullopt when
// none.
std::optional<CampaignRow> find_campaign(pqxx::transaction_base& tx, const std::string& name_or_id);
// As find_campaign, throwing CampaignError "no campaign named ..." when there is none.
CampaignRow require_campaign(pqxx::transaction_base& tx, const std::string& name_or_id);
CampaignRow campaign_by_id(pqxx::transaction_base& tx, int campaign_id);

std::vector<CampaignRow> list_campaigns(pqxx::connection& connection);

std::vector<CampaignEvent> campaign_events(pqxx::transaction_base& tx, int campaign_id);

// Moves the campaign to `to_state` if its current state (locked FOR UPDATE) is one of `from`,
// recording an event; returns the previous state. Throws CampaignError naming the step, the
// current state and the states it needs.
std::string transition(pqxx::transaction_base& tx, int campaign_id, const std::vector<std::string>& from,
                       const std::string& to_state, const std::string& step, const std::string& detail = "");

// Records an event without a state change (a step that ran, such as "crawl" with its summary).
void record_event(pqxx::transaction_base& tx, int campaign_id, const std::string& step, const std::string& detail);

// The states each step needs (for transition() and --help texts).
extern const std::vector<std::string> kLaunchFrom;  // draft, crawling, proposing
extern const std::vector<std::string> kNotifyFrom;  // proposing, notifying, collecting
extern const std::vector<std::string> kApplyFrom;   // proposing, collecting, applying
extern const std::vector<std::string> kOpenStates;  // every state but closed

struct CloseResult {
  std::string previous_state;  // "closed" when it already was (nothing changed)
  int notifications_cancelled = 0;
};
// Closes the campaign: state closed, closed_at set, pending notifications cancelled. Idempotent
// (an already closed campaign: nothing written). Throws CampaignError for an unknown id. The
// transaction form locks the campaign row in `tx` and never commits; the connection form commits.
CloseResult close_campaign(pqxx::transaction_base& tx, int campaign_id, const std::string& detail = "");
CloseResult close_campaign(pqxx::connection& connection, int campaign_id, const std::string& detail = "");

}  // namespace mailprune::campaign
