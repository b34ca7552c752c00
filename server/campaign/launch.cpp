#include "campaign/launch.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "inventory/progress.hpp"
#include "policy/campaign.hpp"

namespace mailprune::campaign {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// What to crawl for the scope: per configured source in scope, the mailboxes to crawl (empty list:
// the whole source).
std::vector<std::pair<std::string, std::vector<std::string>>> crawl_plan(pqxx::connection& connection,
                                                                         const config::Config& config,
                                                                         const policy::CampaignScope& scope) {
  std::map<std::string, std::string> imported_team;  // address -> team of an imported agent
  {
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec("SELECT a.address, coalesce(t.name, '') FROM agent a"
                                   " LEFT JOIN team t ON t.id = a.team_id WHERE a.origin = 'import'")) {
      imported_team[row[0].as<std::string>()] = row[1].as<std::string>();
    }
  }
  std::set<std::string> teams(scope.teams.begin(), scope.teams.end());
  std::set<std::string> mailboxes;
  for (const auto& m : scope.mailboxes) mailboxes.insert(lower(m));
  const bool restricted = !teams.empty() || !mailboxes.empty();

  std::vector<std::pair<std::string, std::vector<std::string>>> plan;
  for (const auto& source : config.sources) {
    if (!scope.sources.empty() &&
        std::find(scope.sources.begin(), scope.sources.end(), source.name) == scope.sources.end()) {
      continue;
    }
    std::vector<std::string> chosen;
    if (restricted) {
      for (const auto& agent : source.mailboxes) {
        std::string address = lower(agent.address);
        auto imported = imported_team.find(address);
        const std::string& team = imported != imported_team.end() ? imported->second : agent.team;
        if (!teams.empty() && !teams.count(team)) continue;
        if (!mailboxes.empty() && !mailboxes.count(address)) continue;
        chosen.push_back(agent.address);
      }
      if (chosen.empty()) continue;
    }
    plan.emplace_back(source.name, std::move(chosen));
  }
  return plan;
}

}  // namespace

ScopeCrawl crawl_campaign_scope(pqxx::connection& connection, const config::Config& config, const CampaignRow& campaign,
                                const LaunchDependencies& dependencies, const LaunchOptions& options) {
  policy::CampaignScope scope;
  {
    pqxx::read_transaction tx(connection);
    auto stored = policy::find_campaign(tx, campaign.name);
    if (stored) scope = stored->scope;
  }
  auto plan = crawl_plan(connection, config, scope);
  if (plan.empty()) {
    throw CampaignError(fmt::format(
        "campaign '{}': no configured [[source]] mailbox is in its scope, nothing to crawl (use --no-crawl to plan "
        "on the inventory as it is)",
        campaign.name));
  }
  ScopeCrawl result;
  for (const auto& [source, mailboxes] : plan) {
    inventory::CrawlOptions crawl_options;
    crawl_options.source = source;
    crawl_options.mailboxes = mailboxes;
    crawl_options.full = options.full;
    crawl_options.retry_backoff = options.retry_backoff;
    inventory::Crawler crawler(config, dependencies.connections, dependencies.connectors);
    auto summary = crawler.run(crawl_options, dependencies.observer);
    result.mailboxes_total += summary.mailboxes_total;
    result.mailboxes_done += summary.mailboxes_done;
    pqxx::work tx(connection);
    record_event(tx, campaign.id, "crawl", fmt::format("{}: {}", source, inventory::summary_line(summary)));
    tx.commit();
    result.sources.push_back(source);
    result.crawls.push_back(summary);
  }
  return result;
}

LaunchResult launch_campaign(pqxx::connection& connection, const config::Config& config, const std::string& name_or_id,
                             const LaunchDependencies& dependencies, const LaunchOptions& options) {
  LaunchResult result;
  CampaignRow campaign;
  {
    pqxx::work tx(connection);
    campaign = require_campaign(tx, name_or_id);
    transition(tx, campaign.id, kLaunchFrom, options.crawl ? "crawling" : "proposing", "launch",
               options.crawl ? "crawl, then plan" : "plan on the current inventory");
    tx.commit();
  }

  if (options.crawl) {
    auto crawled = crawl_campaign_scope(connection, config, campaign, dependencies, options);
    result.sources_crawled = std::move(crawled.sources);
    result.crawls = std::move(crawled.crawls);
    if (crawled.mailboxes_total > 0 && crawled.mailboxes_done == 0) {
      throw CampaignError(fmt::format(
          "campaign '{}': no mailbox could be crawled (see the crawl errors); the campaign stays crawling, run launch "
          "again",
          campaign.name));
    }
  }

  pqxx::work tx(connection);
  if (options.crawl) transition(tx, campaign.id, {"crawling"}, "proposing", "plan");
  auto stored = policy::find_campaign(tx, campaign.name);
  if (!stored) throw CampaignError(fmt::format("campaign '{}' disappeared during launch", campaign.name));
  try {
    result.plan = policy::plan_campaign(tx, *stored, config.policy);
  } catch (const policy::PlanError& e) {
    throw CampaignError(e.what());
  }
  record_event(tx, campaign.id, "plan",
               fmt::format("{} proposal(s) written, {} unchanged, {} decided kept, {} skipped by protections",
                           result.plan.proposals, result.plan.unchanged, result.plan.kept, result.plan.skipped));
  result.state = campaign_by_id(tx, campaign.id).state;
  tx.commit();
  return result;
}

NotifyResult notify_campaign(pqxx::connection& connection, const std::string& name_or_id,
                             const PrepareFunction& prepare, const SendFunction& send, const NotifyOptions& options) {
  NotifyResult result;
  int campaign_id = 0;
  {
    pqxx::work tx(connection);
    auto campaign = require_campaign(tx, name_or_id);
    campaign_id = campaign.id;
    if (options.reminder) {
      auto pending_reminders = tx.exec_params1(
                                     "SELECT count(*) FROM notification WHERE campaign_id = $1 AND kind = 'reminder'"
                                     " AND status = 'pending'",
                                     campaign_id)[0]
                                   .as<int>();
      if (campaign.state == "proposing") {
        throw CampaignError(
            fmt::format("campaign '{}' has sent no review e-mail yet: run notify without --reminder", campaign.name));
      }
      transition(tx, campaign_id, kNotifyFrom, campaign.state, "remind");
      if (pending_reminders == 0) {
        result.round = tx.exec_params1(
                             "SELECT coalesce(max(round), 0) + 1 FROM notification WHERE campaign_id = $1"
                             " AND kind = 'reminder'",
                             campaign_id)[0]
                           .as<int>();
        result.queued = queue_reminders(tx, campaign_id, result.round);
        if (result.queued.queued == 0) result.round = 0;
      }
    } else {
      transition(tx, campaign_id, kNotifyFrom, campaign.state == "collecting" ? "collecting" : "notifying", "notify");
      result.queued = queue_review_notifications(tx, campaign_id);
    }
    tx.commit();
  }

  result.sent = send_due(connection, campaign_id, prepare, send, options.send);

  pqxx::work tx(connection);
  result.still_pending =
      tx.exec_params1("SELECT count(*) FROM notification WHERE campaign_id = $1 AND status = 'pending'", campaign_id)[0]
          .as<int>();
  auto review_pending = tx.exec_params1(
                              "SELECT count(*) FROM notification WHERE campaign_id = $1 AND kind = 'review'"
                              " AND status = 'pending'",
                              campaign_id)[0]
                            .as<int>();
  auto state = campaign_by_id(tx, campaign_id).state;
  if (state == "notifying" && review_pending == 0) {
    transition(tx, campaign_id, {"notifying"}, "collecting", "notify",
               fmt::format("every review e-mail handled ({} sent this run)", result.sent.sent));
    state = "collecting";
  } else {
    record_event(tx, campaign_id, options.reminder ? "remind" : "notify",
                 fmt::format("{} sent, {} to retry, {} failed, {} pending", result.sent.sent, result.sent.retry_later,
                             result.sent.failed, result.still_pending));
  }
  result.state = state;
  tx.commit();
  return result;
}

}  // namespace mailprune::campaign
