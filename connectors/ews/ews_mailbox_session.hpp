// ews_mailbox_session.hpp: connector::MailboxSession over EWS for one mailbox (one Transport:
// one curl handle, its connection kept alive). Made by the EWS connector's open().
//
// Round trips:
//   open           GetFolder msgfolderroot, inbox, sentitems, deleteditems, drafts, junkemail: the
//                  root's id (where folder paths start) and the special folders' ids. Fails here
//                  when the mailbox cannot be opened (ErrorNonExistentMailbox,
//                  ErrorImpersonateUserDenied, 401).
//   list_folders   SyncFolderHierarchy from an empty state under msgfolderroot: the whole tree in
//                  one response (DisplayName, ParentFolderId, TotalCount, FolderClass,
//                  PR_MESSAGE_SIZE_EXTENDED). A server that refuses it: FindFolder Deep, paged.
//                  Names are DisplayNames joined with '/' from the root; the inbox is "INBOX" as
//                  on IMAP. server_name = FolderId.
//   crawl_folder   SyncFolderItems (IdOnly, 512 changes a page) from the stored SyncState, or
//                  from none for a first crawl. Why SyncFolderItems for the first crawl too and not
//                  FindItem: one enumeration gives both the items and the SyncState to continue
//                  from, with no window between a FindItem listing and a later "empty state" sync
//                  in which changes would be missed, and no second full enumeration just to get a
//                  state. Create/Update/ReadFlagChange ids are fetched with GetItem (100 a batch,
//                  item:Attachments + the message fields) and become message() records; Delete
//                  becomes removed(). A stored state the server rejects (ErrorInvalidSyncStateData)
//                  restarts from none with begin(true). A folder where SyncFolderItems is refused
//                  is crawled with FindItem (IndexedPageItemView, 1000 a page) + GetItem, in full,
//                  each time (its sync_state stays "").
//                  Per-item errors: ErrorItemNotFound (deleted meanwhile) -> removed(); retriable
//                  ones are retried (item_retry_rounds); others -> sink.error(), the crawl goes on.
//                  A batch the server refuses as a whole is split in halves down to one item.
//                  Memory: one page of changes and one GetItem batch at a time.
//   read_attachment GetAttachment (IncludeMimeContent for item attachments): the base64 is decoded
//                  as it streams from the socket to the sink; at `limit` bytes the transfer is
//                  aborted (the connection is then reopened by the next request).
// traffic(): the transport's bytes and HTTP exchanges (retries included); bytes_for_content are
// the bytes of GetAttachment responses.
// Not thread-safe (one thread at a time).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ews/ews_connector.hpp"
#include "ews/requests.hpp"
#include "ews/transport.hpp"
#include "interface/connector.hpp"

namespace mailprune::ews {

class EwsActions;

class EwsMailboxSession final : public connector::MailboxSession {
 public:
  EwsMailboxSession(std::unique_ptr<Transport> transport, RequestContext context, CrawlSettings settings);
  ~EwsMailboxSession() override;

  // GetFolder of the root and the special folders (see above). Throws ConnectorError.
  void open();

  std::vector<connector::FolderState> list_folders() override;
  connector::FolderState crawl_folder(const connector::FolderState& current,
                                      const std::optional<connector::FolderState>& previous,
                                      connector::FolderSink& sink) override;
  bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                       const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override;
  connector::TrafficStats traffic() const override;
  // detach / move / remove / measured_size (ews_actions.hpp); made on first use, owned here.
  connector::MailboxActions* actions() override;

  Transport& transport() { return *transport_; }
  const RequestContext& context() const { return context_; }

 private:
  Response call(const Request& request, const CallOptions& options = {});
  std::vector<Folder> folder_tree();
  void fetch_items(const std::vector<ItemId>& ids, connector::FolderSink& sink);
  void fetch_batch(const std::vector<ItemId>& ids, connector::FolderSink& sink, int round);
  connector::FolderState find_item_crawl(const connector::FolderState& current, connector::FolderSink& sink);

  std::unique_ptr<Transport> transport_;
  RequestContext context_;
  CrawlSettings settings_;
  std::string root_id_;
  std::string inbox_id_;
  std::map<std::string, std::string> special_use_;  // FolderId -> "\\Sent", ...
  std::uint64_t bytes_for_content_ = 0;
  std::unique_ptr<EwsActions> actions_;
};

}  // namespace mailprune::ews
