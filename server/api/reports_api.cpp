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

nlohmann::json value_json(const report::Value& value) {
  switch (value.type) {
    case report::Value::Type::text:
      return value.text;
    case report::Value::Type::integer:
    case report::Value::Type::bytes:
      return value.number;
    case report::Value::Type::boolean:
      return value.number != 0;
    case report::Value::Type::null:
      break;
  }
  return nullptr;
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
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : table.rows) {
      nlohmann::json item = nlohmann::json::object();
      for (std::size_t i = 0; i < table.columns.size() && i < row.size(); ++i)
        item[table.columns[i]] = value_json(row[i]);
      items.push_back(std::move(item));
    }
    return json_answer(200, {{"items", items}});
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
    return json_answer(200, {{"mailboxes", s.mailboxes},
                             {"folders", s.folders},
                             {"messages", s.messages},
                             {"message_bytes", s.message_bytes},
                             {"attachments", s.attachments},
                             {"attachment_bytes", s.attachment_bytes},
                             {"duplicate_groups", s.duplicate_groups},
                             {"duplicate_attachments", s.duplicate_attachments},
                             {"reclaimable_bytes", s.reclaimable_bytes}});
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
    nlohmann::json items = nlohmann::json::array();
    for (const auto& g : groups) {
      nlohmann::json copies = nlohmann::json::array();
      for (const auto& c : g.copies) {
        copies.push_back({{"source", c.source},
                          {"mailbox", c.mailbox},
                          {"folder", c.folder},
                          {"section", c.section},
                          {"name", c.name},
                          {"item_id", c.item_id},
                          {"uid", c.uid ? nlohmann::json(*c.uid) : nlohmann::json(nullptr)}});
      }
      items.push_back({{"sha256", g.sha256},
                       {"size", g.size},
                       {"count", g.count},
                       {"reclaimable_bytes", g.reclaimable_bytes},
                       {"copies", copies}});
    }
    return json_answer(200, {{"items", items}});
  });
}

}  // namespace mailprune::api
