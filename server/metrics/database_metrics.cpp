#include "metrics/database_metrics.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace mailprune::metrics {
namespace {

// Families filled row by row: one sample per row and family, label values from the row's first
// columns, values from the following ones.
class Families {
 public:
  std::size_t add(std::string name, std::string help, MetricType type) {
    FamilySnapshot family;
    family.name = std::move(name);
    family.help = std::move(help);
    family.type = type;
    families_.push_back(std::move(family));
    return families_.size() - 1;
  }
  void sample(std::size_t family, Labels labels, double value) {
    Sample sample;
    sample.name = families_[family].name;
    sample.labels = std::move(labels);
    sample.value = value;
    families_[family].samples.push_back(std::move(sample));
  }
  std::vector<FamilySnapshot> take() { return std::move(families_); }

 private:
  std::vector<FamilySnapshot> families_;
};

double number(const pqxx::field& field) {
  return field.is_null() ? 0.0 : field.as<double>();
}

bool table_exists(pqxx::transaction_base& tx, const char* table) {
  return !tx.exec_params1("SELECT to_regclass($1) IS NULL", std::string(table))[0].as<bool>();
}

void inventory(pqxx::transaction_base& tx, Families& out) {
  auto mailboxes = out.add("mailprune_mailboxes", "Mailboxes known, per source.", MetricType::gauge);
  auto crawled =
      out.add("mailprune_mailboxes_crawled", "Mailboxes crawled at least once, per source.", MetricType::gauge);
  auto folders =
      out.add("mailprune_inventory_folders", "Folders in the inventory (last complete crawls).", MetricType::gauge);
  auto messages =
      out.add("mailprune_inventory_messages", "Messages in the inventory (last complete crawls).", MetricType::gauge);
  auto message_bytes = out.add("mailprune_inventory_message_bytes",
                               "Bytes of the messages in the inventory (RFC822.SIZE / item:Size).", MetricType::gauge);
  auto attachments = out.add("mailprune_inventory_attachments", "Attachments in the inventory.", MetricType::gauge);
  auto attachment_bytes = out.add("mailprune_inventory_attachment_bytes",
                                  "Decoded bytes of the attachments in the inventory.", MetricType::gauge);
  auto rows = tx.exec(
      "SELECT s.name, count(m.id), count(m.last_crawled_at), sum(m.folder_count), sum(m.message_count),"
      " sum(m.message_bytes), sum(m.attachment_count), sum(m.attachment_bytes)"
      " FROM source s LEFT JOIN mailbox m ON m.source_id = s.id GROUP BY s.name ORDER BY s.name");
  for (const auto& row : rows) {
    Labels labels{{"source", row[0].as<std::string>()}};
    out.sample(mailboxes, labels, number(row[1]));
    out.sample(crawled, labels, number(row[2]));
    out.sample(folders, labels, number(row[3]));
    out.sample(messages, labels, number(row[4]));
    out.sample(message_bytes, labels, number(row[5]));
    out.sample(attachments, labels, number(row[6]));
    out.sample(attachment_bytes, labels, number(row[7]));
  }
}

void crawls(pqxx::transaction_base& tx, Families& out) {
  auto messages =
      out.add("mailprune_crawl_messages_total", "Messages crawled by finished crawl runs.", MetricType::counter);
  auto received = out.add("mailprune_crawl_received_bytes_total",
                          "Bytes received from mail servers by finished crawl runs.", MetricType::counter);
  auto hashed = out.add("mailprune_crawl_hashed_bytes_total", "Attachment bytes hashed by finished crawl runs.",
                        MetricType::counter);
  auto errors =
      out.add("mailprune_crawl_errors_total", "Per-item errors met by finished crawl runs.", MetricType::counter);
  auto running = out.add("mailprune_crawl_runs_running", "Crawl runs in progress.", MetricType::gauge);
  auto last = out.add("mailprune_crawl_last_success_timestamp_seconds",
                      "When the last successful crawl run of the source finished (Unix time).", MetricType::gauge);
  auto rows = tx.exec(
      "SELECT COALESCE(s.name, ''), sum(r.messages) FILTER (WHERE r.status <> 'running'),"
      " sum(r.bytes_received) FILTER (WHERE r.status <> 'running'),"
      " sum(r.bytes_hashed) FILTER (WHERE r.status <> 'running'), sum(r.errors) FILTER (WHERE r.status <> 'running'),"
      " count(*) FILTER (WHERE r.status = 'running'),"
      " extract(epoch FROM max(r.finished_at) FILTER (WHERE r.status = 'done'))"
      " FROM crawl_run r LEFT JOIN source s ON s.id = r.source_id GROUP BY 1 ORDER BY 1");
  for (const auto& row : rows) {
    Labels labels{{"source", row[0].as<std::string>()}};
    out.sample(messages, labels, number(row[1]));
    out.sample(received, labels, number(row[2]));
    out.sample(hashed, labels, number(row[3]));
    out.sample(errors, labels, number(row[4]));
    out.sample(running, labels, number(row[5]));
    if (!row[6].is_null()) out.sample(last, labels, number(row[6]));
  }
}

void campaigns(pqxx::transaction_base& tx, Families& out) {
  auto target = out.add("mailprune_campaign_target_bytes", "Bytes a campaign aims to free.", MetricType::gauge);
  auto info =
      out.add("mailprune_campaign_info", "Campaigns not closed, with their state (value 1).", MetricType::gauge);
  for (const auto& row :
       tx.exec("SELECT name, state, target_bytes FROM campaign WHERE state <> 'closed' ORDER BY name")) {
    Labels labels{{"campaign", row[0].as<std::string>()}};
    if (!row[2].is_null()) out.sample(target, labels, number(row[2]));
    out.sample(info, Labels{{"campaign", row[0].as<std::string>()}, {"state", row[1].as<std::string>()}}, 1);
  }

  auto proposals =
      out.add("mailprune_proposals", "Selected proposals of campaigns not closed, by decision.", MetricType::gauge);
  auto proposal_bytes =
      out.add("mailprune_proposal_bytes",
              "Estimated bytes of the selected proposals of campaigns not closed, by decision.", MetricType::gauge);
  auto rows = tx.exec(
      "SELECT c.name, p.decision, count(*), sum(p.bytes) FROM proposal p JOIN campaign c ON c.id = p.campaign_id"
      " WHERE c.state <> 'closed' AND p.selected GROUP BY 1, 2 ORDER BY 1, 2");
  for (const auto& row : rows) {
    Labels labels{{"campaign", row[0].as<std::string>()}, {"decision", row[1].as<std::string>()}};
    out.sample(proposals, labels, number(row[2]));
    out.sample(proposal_bytes, labels, number(row[3]));
  }
}

void journal(pqxx::transaction_base& tx, Families& out) {
  if (table_exists(tx, "action")) {
    auto actions = out.add("mailprune_actions", "Actions of the apply journal of campaigns not closed, by step.",
                           MetricType::gauge);
    auto bytes = out.add("mailprune_action_bytes", "Estimated bytes of those actions, by step.", MetricType::gauge);
    auto rows = tx.exec(
        "SELECT c.name, a.kind, a.step, count(*), sum(a.bytes_estimated) FROM action a"
        " JOIN campaign c ON c.id = a.campaign_id WHERE c.state <> 'closed' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    for (const auto& row : rows) {
      Labels labels{{"campaign", row[0].as<std::string>()},
                    {"kind", row[1].as<std::string>()},
                    {"step", row[2].as<std::string>()}};
      out.sample(actions, labels, number(row[3]));
      out.sample(bytes, labels, number(row[4]));
    }
  }
  if (table_exists(tx, "apply_run")) {
    auto running =
        out.add("mailprune_apply_runs_running", "Apply, undo and purge runs in progress.", MetricType::gauge);
    out.sample(running, {}, number(tx.exec1("SELECT count(*) FROM apply_run WHERE status = 'running'")[0]));
  }
  if (table_exists(tx, "notification")) {
    auto queue = out.add("mailprune_notifications", "Notification e-mails of campaigns not closed, by status.",
                         MetricType::gauge);
    auto rows = tx.exec(
        "SELECT c.name, n.status, count(*) FROM notification n JOIN campaign c ON c.id = n.campaign_id"
        " WHERE c.state <> 'closed' GROUP BY 1, 2 ORDER BY 1, 2");
    for (const auto& row : rows) {
      out.sample(queue, Labels{{"campaign", row[0].as<std::string>()}, {"status", row[1].as<std::string>()}},
                 number(row[2]));
    }
  }
}

FamilySnapshot single(const char* name, const char* help, double value) {
  FamilySnapshot family;
  family.name = name;
  family.help = help;
  family.type = MetricType::gauge;
  Sample sample;
  sample.name = name;
  sample.value = value;
  family.samples.push_back(std::move(sample));
  return family;
}

}  // namespace

std::vector<FamilySnapshot> collect_database_metrics(pqxx::transaction_base& tx) {
  Families families;
  inventory(tx, families);
  crawls(tx, families);
  campaigns(tx, families);
  journal(tx, families);
  return families.take();
}

Collector database_collector(DatabaseCollectorOptions options) {
  struct State {
    DatabaseCollectorOptions options;
    std::mutex mutex;
    std::optional<std::chrono::steady_clock::time_point> taken_at;
    std::vector<FamilySnapshot> families;
  };
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  return [state] {
    std::lock_guard lock(state->mutex);  // one query round at a time; others wait and share it
    auto now = std::chrono::steady_clock::now();
    if (state->taken_at && now - *state->taken_at < state->options.cache_for) return state->families;
    std::vector<FamilySnapshot> families;
    bool up = true;
    try {
      state->options.with_connection([&families](pqxx::connection& connection) {
        pqxx::read_transaction tx(connection);
        families = collect_database_metrics(tx);
      });
    } catch (const std::exception& e) {
      spdlog::warn("metrics: the database could not be read: {}", e.what());
      families.clear();
      up = false;
    }
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - now;
    families.push_back(single("mailprune_database_metrics_up",
                              "1 when the database metrics could be read at the last query round, else 0.",
                              up ? 1.0 : 0.0));
    families.push_back(single("mailprune_database_metrics_duration_seconds",
                              "How long the last query round for database metrics took.", took.count()));
    state->families = std::move(families);
    state->taken_at = now;
    return state->families;
  };
}

}  // namespace mailprune::metrics
