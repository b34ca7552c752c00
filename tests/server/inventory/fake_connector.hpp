// fake_connector.hpp: an in-memory Connector for crawl, store and hashing tests.
//
// Mailboxes hold folders (UIDVALIDITY, UIDNEXT, a modification sequence) holding messages with
// attachments and their content. Incremental crawls behave like IMAP CONDSTORE/QRESYNC: with a
// previous state of the same UIDVALIDITY only messages changed since its HIGHESTMODSEQ are sent,
// and UIDs expunged since then are reported removed; otherwise the folder is sent in full.
// Counts reads (prefix: limit > 0, full: limit 0) and content bytes, and can fail: fail_when() is
// called before every operation ("open", "list", "crawl", "message", "read") and may throw.
// Thread-safe (one mutex): sessions of several workers share the data.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "interface/connector.hpp"

namespace mailprune::test {

using connector::ConnectorError;

struct FakeAttachment {
  std::string section;
  std::string name;
  std::string content;
  std::string content_type = "application/octet-stream";
  // Size as the "server" reports it: nullopt means exact (content.size()); a value is an estimate.
  std::optional<std::uint64_t> estimate;
};

struct FakeMessage {
  std::uint64_t size = 0;
  std::string subject;
  std::vector<std::string> flags;
  std::vector<FakeAttachment> attachments;
  std::uint64_t modseq = 0;
};

struct FakeFolder {
  std::uint64_t uidvalidity = 1000;
  std::uint64_t uidnext = 1;
  std::uint64_t modseq = 1;
  std::map<std::uint64_t, FakeMessage> messages;
  std::map<std::uint64_t, std::uint64_t> vanished;  // uid -> modseq of its expunge
};

struct FakeMailbox {
  std::map<std::string, FakeFolder> folders;
};

class FakeConnector : public connector::Connector {
 public:
  // --- building and changing the data (call between crawls) ---
  std::uint64_t add(const std::string& mailbox, const std::string& folder, FakeMessage message) {
    std::lock_guard lock(mutex_);
    FakeFolder& f = mailboxes_[mailbox].folders[folder];
    message.modseq = ++f.modseq;
    if (message.size == 0) {
      message.size = 500;
      for (const auto& a : message.attachments) message.size += a.content.size() * 4 / 3 + 200;
    }
    std::uint64_t uid = f.uidnext++;
    f.messages[uid] = std::move(message);
    return uid;
  }
  void add_folder(const std::string& mailbox, const std::string& folder) {
    std::lock_guard lock(mutex_);
    mailboxes_[mailbox].folders[folder];
  }
  void remove(const std::string& mailbox, const std::string& folder, std::uint64_t uid) {
    std::lock_guard lock(mutex_);
    FakeFolder& f = mailboxes_.at(mailbox).folders.at(folder);
    f.messages.erase(uid);
    f.vanished[uid] = ++f.modseq;
  }
  std::uint64_t move(const std::string& mailbox, const std::string& from, std::uint64_t uid, const std::string& to) {
    FakeMessage message;
    {
      std::lock_guard lock(mutex_);
      message = mailboxes_.at(mailbox).folders.at(from).messages.at(uid);
    }
    remove(mailbox, from, uid);
    return add(mailbox, to, message);
  }
  void set_flags(const std::string& mailbox, const std::string& folder, std::uint64_t uid,
                 std::vector<std::string> flags) {
    std::lock_guard lock(mutex_);
    FakeFolder& f = mailboxes_.at(mailbox).folders.at(folder);
    auto& m = f.messages.at(uid);
    m.flags = std::move(flags);
    m.modseq = ++f.modseq;
  }
  // A new UIDVALIDITY: every message gets a new UID (as after a server rebuild).
  void renumber(const std::string& mailbox, const std::string& folder) {
    std::lock_guard lock(mutex_);
    FakeFolder& f = mailboxes_.at(mailbox).folders.at(folder);
    std::map<std::uint64_t, FakeMessage> renumbered;
    f.uidnext = 1;
    for (auto& [uid, m] : f.messages) renumbered[f.uidnext++ + 100] = m;
    f.messages = std::move(renumbered);
    f.uidnext += 100;
    f.vanished.clear();
    ++f.uidvalidity;
  }
  void remove_folder(const std::string& mailbox, const std::string& folder) {
    std::lock_guard lock(mutex_);
    mailboxes_.at(mailbox).folders.erase(folder);
  }
  std::map<std::string, FakeMailbox> snapshot() const {
    std::lock_guard lock(mutex_);
    return mailboxes_;
  }

  // --- failure injection and counters ---
  std::function<void(const std::string& op, const std::string& mailbox)> fail_when;
  std::atomic<std::uint64_t> prefix_reads{0}, full_reads{0}, content_bytes{0}, opens{0};
  void reset_counters() { prefix_reads = full_reads = content_bytes = opens = 0; }

  // --- Connector ---
  std::string kind() const override { return "imap"; }
  std::unique_ptr<connector::MailboxSession> open(const std::string& mailbox) override {
    check("open", mailbox);
    ++opens;
    {
      std::lock_guard lock(mutex_);
      if (!mailboxes_.count(mailbox)) throw ConnectorError(ConnectorError::Kind::not_found, "no mailbox " + mailbox);
    }
    return std::make_unique<Session>(*this, mailbox);
  }

 private:
  void check(const std::string& op, const std::string& mailbox) {
    if (fail_when) fail_when(op, mailbox);
  }

  class Session : public connector::MailboxSession {
   public:
    Session(FakeConnector& owner, std::string mailbox) : owner_(owner), mailbox_(std::move(mailbox)) {}

    std::vector<connector::FolderState> list_folders() override {
      owner_.check("list", mailbox_);
      std::lock_guard lock(owner_.mutex_);
      std::vector<connector::FolderState> out;
      for (const auto& [name, f] : owner_.mailboxes_.at(mailbox_).folders) {
        connector::FolderState s;
        s.name = name;
        s.server_name = name;
        s.uidvalidity = f.uidvalidity;
        s.uidnext = f.uidnext;
        s.highestmodseq = f.modseq;
        out.push_back(s);
      }
      return out;
    }

    connector::FolderState crawl_folder(const connector::FolderState& current,
                                        const std::optional<connector::FolderState>& previous,
                                        connector::FolderSink& sink) override {
      owner_.check("crawl", mailbox_);
      FakeFolder f;
      {
        std::lock_guard lock(owner_.mutex_);
        auto& folders = owner_.mailboxes_.at(mailbox_).folders;
        auto it = folders.find(current.name);
        if (it == folders.end()) throw ConnectorError(ConnectorError::Kind::not_found, "no folder " + current.name);
        f = it->second;
      }
      const bool full = !previous || previous->uidvalidity != f.uidvalidity || !previous->highestmodseq;
      const std::uint64_t since = full ? 0 : *previous->highestmodseq;
      sink.begin(full);
      for (const auto& [uid, m] : f.messages) {
        if (m.modseq <= since) continue;
        owner_.check("message", mailbox_);
        connector::MessageRecord r;
        r.ref.uid = uid;
        r.size = m.size;
        r.subject = m.subject;
        r.flags = m.flags;
        r.internal_date = 1700000000 + static_cast<std::int64_t>(uid);
        for (const auto& a : m.attachments) {
          connector::AttachmentRecord ar;
          ar.section = a.section;
          ar.name = a.name;
          ar.content_type = a.content_type;
          ar.size = a.estimate ? *a.estimate : a.content.size();
          ar.size_exact = !a.estimate;
          r.attachments.push_back(ar);
        }
        sink.message(std::move(r));
      }
      if (!full) {
        for (const auto& [uid, modseq] : f.vanished) {
          if (modseq > since) sink.removed(connector::MessageRef{uid, "", "", ""});
        }
      }
      connector::FolderState state = current;
      state.uidvalidity = f.uidvalidity;
      state.uidnext = f.uidnext;
      state.highestmodseq = f.modseq;
      return state;
    }

    bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                         const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override {
      return read_range(folder, message, section, 0, limit, sink);
    }

    // Like IMAP's partial fetch: only the bytes from `offset` travel.
    bool read_attachment_from(const connector::FolderState& folder, const connector::MessageRef& message,
                              const std::string& section, std::uint64_t offset,
                              const connector::ContentSink& sink) override {
      return read_range(folder, message, section, offset, 0, sink);
    }

    bool read_range(const connector::FolderState& folder, const connector::MessageRef& message,
                    const std::string& section, std::uint64_t offset, std::uint64_t limit,
                    const connector::ContentSink& sink) {
      owner_.check("read", mailbox_);
      std::string content;
      {
        std::lock_guard lock(owner_.mutex_);
        const FakeFolder& f = owner_.mailboxes_.at(mailbox_).folders.at(folder.name);
        if (folder.uidvalidity != f.uidvalidity)
          throw ConnectorError(ConnectorError::Kind::refused, "UIDVALIDITY changed");
        auto it = f.messages.find(message.uid);
        if (it == f.messages.end()) throw ConnectorError(ConnectorError::Kind::not_found, "no such UID");
        for (const auto& a : it->second.attachments) {
          if (a.section == section) content = a.content;
        }
      }
      ++(limit ? owner_.prefix_reads : owner_.full_reads);
      std::uint64_t n = limit ? std::min<std::uint64_t>(limit, content.size()) : content.size();
      for (std::uint64_t at = std::min<std::uint64_t>(offset, n); at < n; at += 8192) {
        std::string_view chunk(content.data() + at, std::min<std::uint64_t>(8192, n - at));
        owner_.content_bytes += chunk.size();
        traffic_.bytes_for_content += chunk.size();
        traffic_.bytes_received += chunk.size() + 40;
        if (!sink(chunk)) break;
      }
      return true;
    }

    connector::TrafficStats traffic() const override { return traffic_; }

   private:
    FakeConnector& owner_;
    std::string mailbox_;
    connector::TrafficStats traffic_;
  };

  mutable std::mutex mutex_;
  std::map<std::string, FakeMailbox> mailboxes_;
};

}  // namespace mailprune::test
