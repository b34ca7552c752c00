// ImapMailboxSession::fill_binary_sizes: exact decoded sizes (RFC 3516 BINARY.SIZE) for the
// attachments whose BODYSTRUCTURE size is only an estimate, with range splitting on NO.
#include <algorithm>
#include <deque>
#include <map>

#include "imap/imap_mailbox_session.hpp"
#include "imap/mailbox_detail.hpp"
#include "imap/message_record.hpp"

namespace mailprune::imap {

using connector::FolderSink;
using connector::MessageRecord;

namespace {

struct SizeJob {
  std::vector<std::uint32_t> uids;
  std::vector<std::string> sections;  // the same for every message of the job
};

// What a NO says about the content: Dovecot answers [PARSE] to bad quoted-printable or base64,
// RFC 3516 names [UNKNOWN-CTE], RFC 5530 [CORRUPTION].
bool says_damaged(const CommandResult& result) {
  if (!result.status.code) return false;
  const std::string& code = result.status.code->name;
  return code == "PARSE" || code == "UNKNOWN-CTE" || code == "CORRUPTION";
}

// A job the server would not answer: NO or BAD, or the connection dropped while it was in flight.
struct Refusal {
  std::size_t index = 0;  // in the round
  Condition condition = Condition::no;
  std::string why;  // for sink.error()
  bool damaged = false;
};

Refusal refusal_of(std::size_t index, const CommandResult& result) {
  const char* answer = result.status.condition == Condition::bad ? "BAD " : "NO ";
  return {index, result.status.condition,
          answer + (result.status.code ? "[" + result.status.code->name + "] " : std::string()) + result.status.text,
          says_damaged(result)};
}

connector::AttachmentRecord* attachment(MessageRecord& record, const std::string& section) {
  for (auto& a : record.attachments) {
    if (a.section == section) return &a;
  }
  return nullptr;
}

}  // namespace

void ImapMailboxSession::fill_binary_sizes(std::vector<MessageRecord>& records, FolderSink& sink) {
  if (records.empty()) return;
  std::map<std::uint32_t, MessageRecord*> by_uid;
  std::map<std::vector<std::string>, std::vector<std::uint32_t>> groups;  // same sections, one command
  for (auto& record : records) {
    const auto uid = static_cast<std::uint32_t>(record.ref.uid);
    by_uid[uid] = &record;
    groups[inexact_sections(record)].push_back(uid);
  }
  std::deque<SizeJob> jobs;
  for (auto& [sections, uids] : groups) {
    std::sort(uids.begin(), uids.end());
    for (std::size_t i = 0; i < uids.size(); i += settings_.binary_batch) {
      SizeJob job;
      job.uids.assign(uids.begin() + static_cast<std::ptrdiff_t>(i),
                      uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), i + settings_.binary_batch)));
      job.sections = sections;
      jobs.push_back(std::move(job));
    }
  }

  // Bounded rounds: each round pipelines what is queued; refused jobs come back split.
  // After a dropped connection, one command at a time: then a drop names the command that caused it.
  bool one_at_a_time = false;
  while (!jobs.empty()) {
    std::vector<SizeJob> round(std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
    jobs.clear();
    std::vector<Command> commands;
    for (const auto& job : round) {
      std::vector<std::string> items = {"UID"};
      for (const auto& section : job.sections) items.push_back("BINARY.SIZE[" + section + "]");
      commands.push_back(uid_fetch(next_tag(), format_sequence_set(compress_uids(job.uids)), items));
    }
    // Sizes are matched by UID and section over the whole round, not by command: Dovecot runs
    // pipelined UID FETCHes in parallel, so a reply may be attributed to another command.
    std::vector<Refusal> refused;
    std::vector<bool> answered(round.size(), false);
    try {
      session_->run_pipelined(commands, one_at_a_time ? 1 : settings_.window,
                              [&](std::size_t index, CommandResult&& result) {
                                answered[index] = true;
                                for (const auto& response : result.untagged) {
                                  const auto* fetch = std::get_if<FetchMessage>(&response);
                                  if (!fetch || !fetch->uid) continue;
                                  auto found = by_uid.find(*fetch->uid);
                                  if (found == by_uid.end()) continue;
                                  for (const auto& [section, size] : fetch->binary_sizes) {
                                    if (auto* a = attachment(*found->second, section)) {
                                      a->size = size;
                                      a->size_exact = true;
                                    }
                                  }
                                }
                                if (!result.ok()) refused.push_back(refusal_of(index, result));
                              });
    } catch (const Error& error) {
      if (!dropped(error)) throw;
      reconnect(error);  // throws when the folder's reconnects are used up
      std::vector<std::size_t> unanswered;
      for (std::size_t i = 0; i < round.size(); ++i) {
        if (!answered[i]) unanswered.push_back(i);
      }
      if (!unanswered.empty() && (one_at_a_time || unanswered.size() == 1)) {
        // The first unanswered command was the only one in flight: the server dropped it.
        refused.push_back({unanswered.front(), Condition::no, error.message, true});
        unanswered.erase(unanswered.begin());
      }
      one_at_a_time = true;
      for (std::size_t i : unanswered) jobs.push_back(std::move(round[i]));
    }
    for (const auto& refusal : refused) {
      const SizeJob& job = round[refusal.index];
      if (refusal.condition == Condition::bad) {
        // The server does not understand the request: splitting will not help; keep the estimates.
        sink.error(nullptr, "UID FETCH BINARY.SIZE: " + refusal.why + " (sizes estimated)");
        continue;
      }
      // What is still inexact gets split: halves of the UIDs, then one section at a time.
      std::vector<std::uint32_t> missing;
      for (std::uint32_t uid : job.uids) {
        for (const auto& section : job.sections) {
          auto* a = attachment(*by_uid[uid], section);
          if (a && !a->size_exact) {
            missing.push_back(uid);
            break;
          }
        }
      }
      if (missing.size() > 1) {
        const auto half = static_cast<std::ptrdiff_t>(missing.size() / 2);
        jobs.push_back({{missing.begin(), missing.begin() + half}, job.sections});
        jobs.push_back({{missing.begin() + half, missing.end()}, job.sections});
      } else if (missing.size() == 1 && job.sections.size() > 1) {
        for (const auto& section : job.sections) {
          auto* a = attachment(*by_uid[missing.front()], section);
          if (a && !a->size_exact) jobs.push_back({missing, {section}});
        }
      } else if (missing.size() == 1) {
        // One part the server will not decode: keep the estimate; hashing decodes it leniently.
        MessageRecord& record = *by_uid[missing.front()];
        auto* a = attachment(record, job.sections.front());
        if (a) a->damaged = a->damaged || refusal.damaged;
        sink.error(&record.ref, "BINARY.SIZE[" + job.sections.front() + "]: " + refusal.why +
                                    (refusal.damaged ? " (attachment marked damaged, size estimated)" : ""));
      }
    }
  }
  for (auto& record : records) sink.message(std::move(record));
  records.clear();
}

}  // namespace mailprune::imap
