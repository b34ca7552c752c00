// action_support.hpp: small helpers shared by the EWS actions (ews_actions.cpp, ews_reattach.cpp):
// reading a response's answer and sorting EWS response codes into the outcomes of actions.hpp.
// Internal to mailprune_ews_connector. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ews/error.hpp"
#include "ews/ews_connector.hpp"
#include "ews/responses.hpp"
#include "interface/actions.hpp"

namespace mailprune::ews::action_support {

[[noreturn]] inline void fail(std::string_view operation, const Status& status) {
  throw connector_error(status_error(operation, status));
}

inline const ResponseMessage& first_message(const Response& response, std::string_view operation) {
  if (response.messages.empty()) {
    throw connector::ConnectorError(connector::ConnectorError::Kind::protocol,
                                    std::string(operation) + ": no response message");
  }
  return response.messages[0];
}

// The item (or attachment) is not there any more, or not visible to us.
inline bool is_not_found(const Status& status) {
  return classify_code(status.code).not_found;
}

// The server refused a write because the item changed since the ChangeKey we sent.
inline bool is_conflict(const Status& status) {
  return status.code == "ErrorIrresolvableConflict" || status.code == "ErrorStaleObject" ||
         status.code == "ErrorChangeKeyRequiredForWriteOperations";
}

// The item's ChangeKey differs from the one the crawl saw (none known: never stale).
inline bool stale(const connector::MessageRef& message, const Item& item) {
  return !message.change_key.empty() && item.id.change_key != message.change_key;
}

inline connector::MessageRef with_id(connector::MessageRef message, const ItemId& id) {
  message.item_id = id.id;
  message.change_key = id.change_key;
  return message;
}

inline void report(const connector::StepHook& hook, connector::ActionStep step, const connector::MessageRef& message) {
  if (hook) hook(step, message);
}

}  // namespace mailprune::ews::action_support
