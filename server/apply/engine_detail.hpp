// engine_detail.hpp: the pieces engine.cpp puts together (internal to server/apply): a mailbox
// opened for actions, and the handler of one action for each mode.
//
// A Handler carries out one action whose lease the caller holds, records in the journal what it
// did (each step committed before the next server call) and returns the outcome. It may throw
// connector::ConnectorError (the caller retries retriable ones on a fresh session, then calls
// record_failure) and archive::ArchiveError (recorded as a failure). Not thread-safe: one per
// worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "apply/engine.hpp"
#include "apply/journal.hpp"
#include "interface/actions.hpp"

namespace mailprune::apply::detail {

// One mailbox's session and the folder listing, refreshed when a folder is not in it.
class OpenMailbox {
 public:
  OpenMailbox(connector::Connector& connector, std::string address);

  // Opens (or reopens, after a lost connection) the session. Throws ConnectorError.
  void open();
  connector::MailboxSession& session() { return *session_; }
  // Throws ConnectorError(refused) when the connector can only inventory.
  connector::MailboxActions& actions();

  // The folder as the server lists it now; one new listing when it is not in the cached one
  // (a folder a move just created); nullopt when the server has no such folder.
  std::optional<connector::FolderState> folder(const std::string& name);

  // The mailbox's measured size; nullopt when the server tells nothing or the call fails.
  std::optional<std::uint64_t> measure();

  const std::string& address() const { return address_; }
  std::string connector_kind() const { return connector_.kind(); }  // "imap", "ews"
  // Traffic of every session this object opened (connector::TrafficStats), the current one included.
  connector::TrafficStats traffic() const;

 private:
  connector::Connector& connector_;
  std::string address_;
  std::unique_ptr<connector::MailboxSession> session_;
  std::map<std::string, connector::FolderState> folders_;
  bool listed_ = false;
  connector::TrafficStats retired_;  // sessions replaced by open()
};

struct ActionOutcome {
  Step step = Step::done;   // done / undone / purged, skipped or failed
  std::string reason;       // skipped / failed
  std::uint64_t bytes = 0;  // estimated bytes freed (apply, purge), for the summary
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual Selection selection() const = 0;
  // Whether an action read under the lease is still one for this mode (another runner may have
  // moved it on since it was listed).
  virtual bool wanted(const Action& action) const = 0;
  // Reads the action under its lease (apply: counts an attempt).
  virtual Action take(pqxx::connection& db, std::int64_t action_id) = 0;
  virtual ActionOutcome handle(pqxx::connection& db, OpenMailbox& mailbox, Action& action) = 0;
  virtual void record_failure(pqxx::connection& db, const Action& action, const std::string& reason) = 0;
};

struct HandlerContext {
  const EngineContext* engine = nullptr;
  CampaignRow campaign;
  Runner runner;
  MailboxRow mailbox;
};

std::unique_ptr<Handler> make_apply_handler(const HandlerContext& context);
std::unique_ptr<Handler> make_undo_handler(const HandlerContext& context);
std::unique_ptr<Handler> make_purge_handler(const HandlerContext& context);

}  // namespace mailprune::apply::detail
