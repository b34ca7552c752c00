#include "inventory/inventory_store.hpp"

#include <fmt/format.h>

namespace mailprune::inventory {
namespace {

using connector::FolderState;
using connector::MessageRecord;
using connector::MessageRef;

// The stage's columns: one row per event; kind 'm' message, 'a' attachment (seq = its message's),
// 'r' removed, 'f' folder (written when the folder's crawl completed). Unused columns are "".
const std::array<std::string, 30> kEventColumns = {
    "kind",         "folder_seq",    "seq",           "uid",          "item_id",     "size",
    "size_exact",   "internal_date", "sent_date",     "from_address", "subject",     "message_id",
    "object_id",    "flags",         "protection",    "parse_error",  "section",     "name",
    "content_type", "is_inline",     "damaged",       "sha256",       "server_name", "special_use",
    "uidvalidity",  "uidnext",       "highestmodseq", "sync_state",   "is_full",     "change_key"};

enum Column : std::size_t {
  kKind,
  kFolderSeq,
  kSeq,
  kUid,
  kItemId,
  kSize,
  kSizeExact,
  kInternalDate,
  kSentDate,
  kFrom,
  kSubject,
  kMessageId,
  kObjectId,
  kFlags,
  kProtection,
  kParseError,
  kSection,
  kName,
  kContentType,
  kIsInline,
  kDamaged,
  kSha256,
  kServerName,
  kSpecialUse,
  kUidvalidity,
  kUidnext,
  kHighestmodseq,
  kSyncState,
  kIsFull,
  kChangeKey
};

std::string create_stage_sql() {
  std::string sql = "CREATE TEMP TABLE stage_event (";
  for (std::size_t i = 0; i < kEventColumns.size(); ++i) {
    sql += (i ? ", " : "") + kEventColumns[i] + " text NOT NULL DEFAULT ''";
  }
  return sql + ") ON COMMIT DROP";
}

// A message is keyed by its EWS item_id when it has one, else by its IMAP UID.
void put_ref(std::array<std::string, 30>& row, const MessageRef& ref) {
  if (!ref.item_id.empty()) {
    row[kItemId] = clean_text(ref.item_id);
  } else {
    row[kUid] = std::to_string(ref.uid);
  }
}

std::string join_flags(const std::vector<std::string>& flags) {
  // IMAP flags are atoms (no spaces); string_to_array(flags, ' ') splits them again.
  std::string out;
  for (const auto& flag : flags) {
    if (flag.empty()) continue;
    if (!out.empty()) out += ' ';
    out += clean_text(flag);
  }
  return out;
}

}  // namespace

class MailboxCrawl::Sink : public connector::FolderSink {
 public:
  explicit Sink(MailboxCrawl& owner) : owner_(owner) {}
  void reset() { full_ = false; }
  bool full() const { return full_; }

  void begin(bool full) override { full_ = full; }

  void message(MessageRecord&& record) override {
    std::array<std::string, 30> row{};
    const std::string seq = std::to_string(++owner_.event_seq_);
    const std::string folder_seq = std::to_string(owner_.folder_seq_);
    row[kKind] = "m";
    row[kFolderSeq] = folder_seq;
    row[kSeq] = seq;
    put_ref(row, record.ref);
    row[kSize] = std::to_string(record.size);
    row[kInternalDate] = optional_text(record.internal_date);
    row[kSentDate] = optional_text(record.sent_date);
    row[kFrom] = clean_text(record.from_address);
    row[kSubject] = clean_text(record.subject);
    row[kMessageId] = clean_text(record.message_id);
    row[kObjectId] = clean_text(record.object_id);
    row[kChangeKey] = clean_text(record.ref.change_key);
    row[kFlags] = join_flags(record.flags);
    row[kProtection] = clean_text(record.protection);
    row[kParseError] = clean_text(record.parse_error);
    owner_.write_event(row);
    for (const auto& attachment : record.attachments) {
      std::array<std::string, 30> a{};
      a[kKind] = "a";
      a[kFolderSeq] = folder_seq;
      a[kSeq] = seq;
      a[kSection] = clean_text(attachment.section);
      a[kName] = clean_text(attachment.name);
      a[kContentType] = clean_text(attachment.content_type);
      a[kSize] = std::to_string(attachment.size);
      a[kSizeExact] = bool_text(attachment.size_exact);
      a[kIsInline] = bool_text(attachment.is_inline);
      a[kDamaged] = bool_text(attachment.damaged);
      if (attachment.sha256) a[kSha256] = to_hex(attachment.sha256->data(), attachment.sha256->size());
      owner_.write_event(a);
      ++owner_.attachments_;
    }
    ++owner_.messages_;
    if (!record.parse_error.empty()) {
      owner_.add_error({owner_.current_folder_,
                        record.ref.item_id.empty() ? std::optional(record.ref.uid) : std::nullopt, record.ref.item_id,
                        "message could not be parsed: " + record.parse_error});
    }
    if (owner_.observer_) owner_.observer_(record.size);
  }

  void removed(const MessageRef& ref) override {
    std::array<std::string, 30> row{};
    row[kKind] = "r";
    row[kFolderSeq] = std::to_string(owner_.folder_seq_);
    row[kSeq] = std::to_string(++owner_.event_seq_);
    put_ref(row, ref);
    owner_.write_event(row);
  }

  void error(const MessageRef* ref, const std::string& message) override {
    ItemError error{owner_.current_folder_, std::nullopt, "", message};
    if (ref != nullptr) {
      if (ref->item_id.empty()) error.uid = ref->uid;
      error.item_id = ref->item_id;
    }
    owner_.add_error(std::move(error));
  }

 private:
  MailboxCrawl& owner_;
  bool full_ = false;
};

MailboxCrawl::MailboxCrawl(pqxx::connection& connection, int mailbox_id, std::size_t max_errors)
    : connection_(connection), mailbox_id_(mailbox_id), max_errors_(max_errors) {
  tx_ = std::make_unique<pqxx::work>(connection_);
  // Serialises two crawls of the same mailbox (two processes): the second waits, then merges onto
  // the first's result instead of interleaving with it.
  tx_->exec_params("SELECT pg_advisory_xact_lock(1296519200, $1)", mailbox_id_);
  for (const auto& row : tx_->exec_params(
           "SELECT name, server_name, coalesce(special_use, ''), uidvalidity, uidnext, highestmodseq::text,"
           " coalesce(sync_state, ''), message_count, message_bytes FROM folder WHERE mailbox_id = $1",
           mailbox_id_)) {
    FolderState state;
    state.name = row[0].as<std::string>();
    state.server_name = row[1].as<std::string>();
    state.special_use = row[2].as<std::string>();
    if (!row[3].is_null()) state.uidvalidity = row[3].as<std::uint64_t>();
    if (!row[4].is_null()) state.uidnext = row[4].as<std::uint64_t>();
    if (!row[5].is_null()) state.highestmodseq = std::stoull(row[5].as<std::string>());
    state.sync_state = row[6].as<std::string>();
    state.message_count = row[7].as<std::uint64_t>();
    state.size_bytes = row[8].as<std::uint64_t>();
    previous_.emplace(state.name, std::move(state));
  }
  tx_->exec0(create_stage_sql());
  stage_ = std::make_unique<CopyStage<30>>(*tx_, "stage_event", kEventColumns);
  sink_ = std::make_unique<Sink>(*this);
}

MailboxCrawl::~MailboxCrawl() {
  // The stream must go before its transaction; an unfinished COPY is abandoned with the transaction.
  try {
    stage_.reset();
  } catch (...) {
  }
  sink_.reset();
  tx_.reset();
}

std::optional<FolderState> MailboxCrawl::previous(const std::string& folder_name) const {
  auto it = previous_.find(folder_name);
  if (it == previous_.end()) return std::nullopt;
  return it->second;
}

connector::FolderSink& MailboxCrawl::start_folder(const FolderState& current) {
  ++folder_seq_;
  current_folder_ = current.name;
  sink_->reset();
  return *sink_;
}

void MailboxCrawl::finish_folder(const FolderState& state) {
  std::array<std::string, 30> row{};
  row[kKind] = "f";
  row[kFolderSeq] = std::to_string(folder_seq_);
  row[kName] = clean_text(current_folder_);
  row[kServerName] = clean_text(state.server_name);
  row[kSpecialUse] = clean_text(state.special_use);
  row[kUidvalidity] = optional_text(state.uidvalidity);
  row[kUidnext] = optional_text(state.uidnext);
  row[kHighestmodseq] = optional_text(state.highestmodseq);
  row[kSyncState] = clean_text(state.sync_state);
  row[kIsFull] = bool_text(sink_->full());
  write_event(row);
  ++folders_;
}

void MailboxCrawl::abandon_folder(const std::string& reason) {
  add_error({current_folder_, std::nullopt, "", "folder not crawled: " + reason});
}

void MailboxCrawl::write_event(const std::array<std::string, 30>& row) {
  stage_->write(row);
}

void MailboxCrawl::add_error(ItemError error) {
  ++error_count_;
  if (errors_.size() < max_errors_) errors_.push_back(std::move(error));
}

std::vector<ItemError> MailboxCrawl::take_errors() {
  std::vector<ItemError> out = std::move(errors_);
  errors_.clear();
  if (error_count_ > out.size()) {
    out.push_back({"", std::nullopt, "",
                   fmt::format("{} more errors in this mailbox were not recorded", error_count_ - out.size())});
  }
  error_count_ = 0;
  return out;
}

MailboxTotals MailboxCrawl::commit() {
  stage_->complete();
  merge();
  auto row = tx_->exec_params1(
      "SELECT folder_count, message_count, message_bytes, attachment_count, attachment_bytes FROM mailbox"
      " WHERE id = $1",
      mailbox_id_);
  MailboxTotals totals{row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>(),
                       row[3].as<std::uint64_t>(), row[4].as<std::uint64_t>()};
  tx_->commit();
  return totals;
}

}  // namespace mailprune::inventory
