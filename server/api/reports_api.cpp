// GET /api/v1/reports/{summary|mailboxes|folders|attachments|duplicates}?top=&team=&mailbox=:
// the inventory reports of server/report as JSON.
#include <string>

#include "api/handlers.hpp"
#include "report/report.hpp"

namespace mailprune::api {
namespace {

report::ReportFilter filter_of(const http::Request& request) {
  report::ReportFilter filter;
  filter.team = request.query.get("team").value_or("");
  filter.mailbox = request.query.get("mailbox").value_or("");
  if (auto top = query_integer(request, "top", 0, 100000)) filter.top = static_cast<std::size_t>(*top);
  return filter;
}

template <class Query>
http::Response table_report(const ApiContext& api, const http::Request& request, Query query) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    report::ReportFilter filter = filter_of(request);
    report::Table table;
    try {
      table = query(call.connection, filter);
    } catch (const report::ReportFilterError& e) {
      throw ApiError(400, "invalid", e.what());
    }
    return json_answer(200, {{"items", report::table_json(table)}});
  });
}

}  // namespace

http::Response report_summary(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    report::Summary s;
    try {
      s = report::query_summary(call.connection, filter_of(request));
    } catch (const report::ReportFilterError& e) {
      throw ApiError(400, "invalid", e.what());
    }
    return json_answer(200, report::summary_json(s));
  });
}

http::Response report_mailboxes(const ApiContext& api, const http::Request& request, const Ids&) {
  return table_report(api, request, report::query_mailboxes);
}

http::Response report_folders(const ApiContext& api, const http::Request& request, const Ids&) {
  return table_report(api, request, report::query_folders);
}

http::Response report_attachments(const ApiContext& api, const http::Request& request, const Ids&) {
  return table_report(api, request, report::query_attachments);
}

http::Response report_duplicates(const ApiContext& api, const http::Request& request, const Ids&) {
  return api.run(request, auth::Role::viewer, [&](ApiContext::Call& call) {
    std::vector<report::DuplicateGroup> groups;
    try {
      groups = report::query_duplicates(call.connection, filter_of(request));
    } catch (const report::ReportFilterError& e) {
      throw ApiError(400, "invalid", e.what());
    }
    return json_answer(200, {{"items", report::duplicates_json(groups, report::MissingItemId::empty_string)}});
  });
}

}  // namespace mailprune::api
