// fake_mailbox.hpp: an in-memory mail server with actions, for the apply engine's tests.
//
// Mailboxes hold folders (UIDVALIDITY, UIDNEXT, a modification sequence) holding messages whose
// attachments are parts with a MIME header and decoded content. The session crawls (every folder
// in full), reads attachments and part headers, and acts (actions.hpp) the way the contract asks:
//  - detach: refuses a message whose MODSEQ is not the crawl's (changed) unless a copy marked with
//    this action id exists (an earlier attempt); uploads a copy with the notices in place of the
//    parts, marked with the action id, keeping flags and internal date; reports uploaded, verified,
//    then removes the original and reports original_removed. A retry finds the marked copy instead
//    of uploading again;
//  - reattach: the same in reverse, the parts rebuilt from the given header and content;
//  - move: to the target folder (created when missing), the copy marked with the action id, so a
//    retry after the original went finds it there;
//  - remove: gone for good; measured_size: the sum of the messages' sizes (nullopt when
//    `measured` is false).
// Failure injection: `fault(op, stage)` is called at every step ("open", "read", "detach:upload",
// "detach:verify", "detach:remove", "reattach:*", "move", "remove") and may throw, e.g. a
// ConnectorError (what a lost connection does) or a Crash (what `kill -9` does to the engine: the
// exception is not one it records as a failure, so the action stays at its last journaled step).
// Counters say how many uploads and moves happened, per action id. Thread-safe (one mutex).
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "archive/content_hash.hpp"
#include "interface/actions.hpp"
#include "interface/connector.hpp"

namespace mailprune::test {

using connector::ConnectorError;

// What the engine must not survive: thrown by a fault to simulate a crash at that point.
struct Crash : std::runtime_error {
  Crash() : std::runtime_error("simulated crash") {}
};

struct FakePart {
  std::string section;
  std::string header;   // MIME header fields, CRLF-terminated, no blank line
  std::string content;  // decoded
  std::string name;
  std::string content_type = "application/pdf";
  bool notice = false;  // a notice left by detach
};

struct FakeMail {
  std::string message_id;
  std::int64_t internal_date = 1'600'000'000;
  std::vector<std::string> flags;
  std::string body = "Hello";
  std::vector<FakePart> parts;
  std::uint64_t modseq = 0;
  std::string marked_by;  // action id of the detach/reattach/move that made this copy
  std::uint64_t size() const {
    std::uint64_t n = 400 + body.size();
    for (const auto& p : parts) n += p.header.size() + p.content.size() * 4 / 3;
    return n;
  }
};

struct FakeBox {
  std::uint64_t uidvalidity = 7000;
  std::uint64_t uidnext = 1;
  std::uint64_t modseq = 1;
  std::map<std::uint64_t, FakeMail> messages;
};

class FakeMailServer : public connector::Connector {
 public:
  bool measured = true;
  std::function<void(const std::string& op, const std::string& mailbox)> fault;

  std::uint64_t add(const std::string& mailbox, const std::string& folder, FakeMail mail) {
    std::lock_guard lock(mutex_);
    return put(boxes_[mailbox][folder], std::move(mail));
  }
  void add_folder(const std::string& mailbox, const std::string& folder) {
    std::lock_guard lock(mutex_);
    boxes_[mailbox][folder];
  }
  // A concurrent client sets flags: the message's MODSEQ moves on.
  void set_flags(const std::string& mailbox, const std::string& folder, std::uint64_t uid,
                 std::vector<std::string> flags) {
    std::lock_guard lock(mutex_);
    FakeBox& box = boxes_.at(mailbox).at(folder);
    FakeMail& mail = box.messages.at(uid);
    mail.flags = std::move(flags);
    mail.modseq = ++box.modseq;
  }
  std::map<std::string, std::map<std::string, FakeBox>> snapshot() const {
    std::lock_guard lock(mutex_);
    return boxes_;
  }
  std::size_t uploads(const std::string& action_id) const {
    std::lock_guard lock(mutex_);
    auto it = uploads_.find(action_id);
    return it == uploads_.end() ? 0 : it->second;
  }
  std::size_t total_uploads() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, count] : uploads_) n += count;
    return n;
  }

  std::string kind() const override { return "imap"; }
  std::unique_ptr<connector::MailboxSession> open(const std::string& mailbox) override {
    hit("open", mailbox);
    std::lock_guard lock(mutex_);
    if (!boxes_.count(mailbox)) throw ConnectorError(ConnectorError::Kind::not_found, "no mailbox " + mailbox);
    return std::make_unique<Session>(*this, mailbox);
  }

 private:
  static std::uint64_t put(FakeBox& box, FakeMail mail) {
    mail.modseq = ++box.modseq;
    const std::uint64_t uid = box.uidnext++;
    box.messages[uid] = std::move(mail);
    return uid;
  }

  void hit(const std::string& op, const std::string& mailbox) {
    if (fault) fault(op, mailbox);
  }

  class Session : public connector::MailboxSession, public connector::MailboxActions {
   public:
    Session(FakeMailServer& server, std::string mailbox) : server_(server), mailbox_(std::move(mailbox)) {}

    std::vector<connector::FolderState> list_folders() override {
      std::lock_guard lock(server_.mutex_);
      std::vector<connector::FolderState> out;
      for (const auto& [name, box] : server_.boxes_.at(mailbox_)) out.push_back(state_of(name, box));
      return out;
    }

    connector::FolderState crawl_folder(const connector::FolderState& current,
                                        const std::optional<connector::FolderState>&,
                                        connector::FolderSink& sink) override {
      std::vector<connector::MessageRecord> records;
      connector::FolderState state;
      {
        std::lock_guard lock(server_.mutex_);
        FakeBox& box = folder_of(current.name);
        state = state_of(current.name, box);
        for (const auto& [uid, mail] : box.messages) {
          connector::MessageRecord record;
          record.ref.uid = uid;
          record.ref.change_key = std::to_string(mail.modseq);
          record.ref.message_id = mail.message_id;
          record.size = mail.size();
          record.internal_date = mail.internal_date;
          record.sent_date = mail.internal_date;
          record.message_id = mail.message_id;
          record.subject = "subject " + mail.message_id;
          record.from_address = "sender@example.org";
          record.flags = mail.flags;
          for (const auto& part : mail.parts) {
            connector::AttachmentRecord a;
            a.section = part.section;
            a.name = part.name;
            a.content_type = part.content_type;
            a.size = part.content.size();
            a.size_exact = true;
            a.sha256 = archive::sha256_of(part.content);
            record.attachments.push_back(std::move(a));
          }
          records.push_back(std::move(record));
        }
      }
      sink.begin(true);
      for (auto& record : records) sink.message(std::move(record));
      return state;
    }

    bool read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                         const std::string& section, std::uint64_t limit, const connector::ContentSink& sink) override {
      server_.hit("read", mailbox_);
      std::string content;
      {
        std::lock_guard lock(server_.mutex_);
        content = part_of(folder, message, section).content;
      }
      if (limit > 0 && content.size() > limit) content.resize(limit);
      // In small chunks, as a server streams.
      for (std::size_t at = 0; at < content.size(); at += 1000) {
        if (!sink(std::string_view(content).substr(at, 1000))) break;
      }
      return true;
    }

    std::string read_part_header(const connector::FolderState& folder, const connector::MessageRef& message,
                                 const std::string& section) override {
      std::lock_guard lock(server_.mutex_);
      return part_of(folder, message, section).header;
    }

    connector::TrafficStats traffic() const override { return {}; }
    connector::MailboxActions* actions() override { return this; }

    connector::DetachResult detach(const connector::FolderState& folder,
                                   const connector::DetachRequest& request) override {
      return rewrite(folder, request.message, request.action_id, request.on_step, "detach", [&](FakeMail& copy) {
        for (const auto& d : request.detachments) {
          for (auto& part : copy.parts) {
            if (part.section != d.section) continue;
            part.header = "Content-Type: text/plain; charset=utf-8\r\n";
            part.content = d.notice_text;
            part.notice = true;
          }
        }
      });
    }

    connector::DetachResult reattach(const connector::FolderState& folder,
                                     const connector::ReattachRequest& request) override {
      return rewrite(folder, request.message, request.action_id, request.on_step, "reattach", [&](FakeMail& copy) {
        for (const auto& r : request.reattachments) {
          for (auto& part : copy.parts) {
            if (part.section != r.section) continue;
            part.header = r.original_header;
            part.content = r.content;
            part.notice = false;
          }
        }
      });
    }

    connector::MoveResult move(const connector::FolderState& folder, const connector::MessageRef& message,
                               const std::string& target_folder, const std::string& action_id) override {
      server_.hit("move", mailbox_);
      std::lock_guard lock(server_.mutex_);
      FakeBox& from = folder_of(folder.name);
      FakeBox& to = server_.boxes_.at(mailbox_)[target_folder];
      connector::MoveResult result;
      auto it = from.messages.find(message.uid);
      if (it == from.messages.end()) {
        for (const auto& [uid, mail] : to.messages) {
          if (mail.marked_by == action_id) {
            result.message = ref_of(uid, mail);
            return result;
          }
        }
        result.outcome = connector::Outcome::not_found;
        return result;
      }
      if (!message.change_key.empty() && std::to_string(it->second.modseq) != message.change_key) {
        result.outcome = connector::Outcome::changed;
        return result;
      }
      FakeMail moved = it->second;
      moved.marked_by = action_id;
      from.messages.erase(it);
      ++server_.uploads_[action_id];
      const std::uint64_t uid = put(to, std::move(moved));
      result.message = ref_of(uid, to.messages.at(uid));
      return result;
    }

    connector::Outcome remove(const connector::FolderState& folder, const connector::MessageRef& message,
                              connector::RemoveMode) override {
      server_.hit("remove", mailbox_);
      std::lock_guard lock(server_.mutex_);
      FakeBox& box = folder_of(folder.name);
      auto it = box.messages.find(message.uid);
      if (it == box.messages.end()) return connector::Outcome::not_found;
      if (!message.change_key.empty() && std::to_string(it->second.modseq) != message.change_key) {
        return connector::Outcome::changed;
      }
      box.messages.erase(it);
      return connector::Outcome::done;
    }

    std::optional<std::uint64_t> measured_size() override {
      std::lock_guard lock(server_.mutex_);
      if (!server_.measured) return std::nullopt;
      std::uint64_t total = 0;
      for (const auto& [name, box] : server_.boxes_.at(mailbox_)) {
        for (const auto& [uid, mail] : box.messages) total += mail.size();
      }
      return total;
    }

   private:
    static connector::FolderState state_of(const std::string& name, const FakeBox& box) {
      connector::FolderState state;
      state.name = name;
      state.server_name = name;
      state.uidvalidity = box.uidvalidity;
      state.uidnext = box.uidnext;
      state.highestmodseq = box.modseq;
      state.message_count = box.messages.size();
      return state;
    }
    static connector::MessageRef ref_of(std::uint64_t uid, const FakeMail& mail) {
      connector::MessageRef ref;
      ref.uid = uid;
      ref.change_key = std::to_string(mail.modseq);
      ref.message_id = mail.message_id;
      return ref;
    }
    FakeBox& folder_of(const std::string& name) {
      auto& folders = server_.boxes_.at(mailbox_);
      auto it = folders.find(name);
      if (it == folders.end()) throw ConnectorError(ConnectorError::Kind::not_found, "no folder " + name);
      return it->second;
    }
    const FakePart& part_of(const connector::FolderState& folder, const connector::MessageRef& message,
                            const std::string& section) {
      FakeBox& box = folder_of(folder.name);
      auto it = box.messages.find(message.uid);
      if (it == box.messages.end()) throw ConnectorError(ConnectorError::Kind::not_found, "no such message");
      for (const auto& part : it->second.parts) {
        if (part.section == section) return part;
      }
      throw ConnectorError(ConnectorError::Kind::not_found, "no section " + section);
    }

    // Detach and reattach: a marked copy made by `edit`, then the original removed.
    connector::DetachResult rewrite(const connector::FolderState& folder, const connector::MessageRef& message,
                                    const std::string& action_id, const connector::StepHook& on_step,
                                    const std::string& op, const std::function<void(FakeMail&)>& edit) {
      connector::DetachResult result;
      std::optional<std::uint64_t> copy_uid;
      bool original_there = false;
      {
        std::lock_guard lock(server_.mutex_);
        FakeBox& box = folder_of(folder.name);
        for (const auto& [uid, mail] : box.messages) {
          if (mail.marked_by == action_id) copy_uid = uid;
        }
        auto it = box.messages.find(message.uid);
        original_there = it != box.messages.end();
        if (!original_there && !copy_uid) {
          result.outcome = connector::Outcome::not_found;
          return result;
        }
        if (original_there && !copy_uid && !message.change_key.empty() &&
            std::to_string(it->second.modseq) != message.change_key) {
          result.outcome = connector::Outcome::changed;
          return result;
        }
      }
      if (!copy_uid) {
        server_.hit(op + ":upload", mailbox_);
        std::lock_guard lock(server_.mutex_);
        FakeBox& box = folder_of(folder.name);
        FakeMail copy = box.messages.at(message.uid);
        edit(copy);
        copy.marked_by = action_id;
        ++server_.uploads_[action_id];
        copy_uid = put(box, std::move(copy));
      }
      connector::MessageRef copy_ref;
      {
        std::lock_guard lock(server_.mutex_);
        copy_ref = ref_of(*copy_uid, folder_of(folder.name).messages.at(*copy_uid));
      }
      if (on_step) on_step(connector::ActionStep::uploaded, copy_ref);
      server_.hit(op + ":verify", mailbox_);
      if (on_step) on_step(connector::ActionStep::verified, copy_ref);
      if (original_there) {
        server_.hit(op + ":remove", mailbox_);
        std::lock_guard lock(server_.mutex_);
        folder_of(folder.name).messages.erase(message.uid);
      }
      if (on_step) on_step(connector::ActionStep::original_removed, message);
      result.message = copy_ref;
      return result;
    }

    FakeMailServer& server_;
    std::string mailbox_;
  };

  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, FakeBox>> boxes_;
  std::map<std::string, std::size_t> uploads_;
};

}  // namespace mailprune::test
