// admin_report.hpp: the nightly progress e-mail to a campaign's admins: what notify/notification.hpp
// render_admin_progress() shows, read from the campaign's progress (campaign/progress.hpp) and
// what this night did, sent over [smtp] to each campaign_admin row in its own language.
//
// Not thread-safe: one connection, one thread.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "notify/notification.hpp"

namespace mailprune::nightly {

struct AdminReportResult {
  std::vector<std::string> sent;    // admin addresses the server took it for
  std::vector<std::string> failed;  // "address: why"
};

// Sends the report of campaign `campaign_id` (named `campaign_name`) to its admins (none: nothing sent). `night` is
// what this run did. Throws on database errors; SMTP failures are in the result.
AdminReportResult send_admin_report(pqxx::connection& connection, const config::Config& config, int campaign_id,
                                    const std::string& campaign_name, const notify::NightlySummary& night);

}  // namespace mailprune::nightly
