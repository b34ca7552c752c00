// mime_item.hpp: what Exchange shows of a stored MIME message, derived with GMime 3.0 — the
// item's envelope properties, its ItemClass and its attachments as /work/shared/INVENTORY.md
// defines them (so the same mail crawled over IMAP and over EWS gives the same inventory).
//
// Attachments: message/rfc822 and message/global parts are ItemAttachments whose content is the
// embedded message's raw bytes as they stand in the input; other message/* parts are
// FileAttachments with their raw body; any other leaf is an attachment by INVENTORY.md rule 3,
// with its decoded content (GMime decodes leniently). Never throws on bad input: a message GMime
// cannot parse gives `parsed = false`, no attachments.
//
// Threads: may be called from several threads; GMime is initialised once on first use.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace mailprune::ews_test {

struct MimeAttachment {
  bool is_item = false;      // ItemAttachment (message/rfc822, message/global)
  std::string name;          // decoded, UTF-8; for an ItemAttachment the embedded Subject
  std::string content_type;  // "type/subtype", lower case
  std::string content_id;    // without angle brackets; empty when absent
  bool is_inline = false;
  std::shared_ptr<const std::string> content;  // decoded bytes (raw embedded message for items)
};

struct MimeItem {
  bool parsed = false;
  std::string subject;  // decoded
  std::string from_name;
  std::string from_address;
  std::string internet_message_id;  // with angle brackets, as Exchange shows it
  std::time_t date_sent = 0;        // 0 when the Date header is absent or unreadable
  std::string item_class = "IPM.Note";
  std::vector<MimeAttachment> attachments;
};

MimeItem parse_mime_item(const std::string& raw);

}  // namespace mailprune::ews_test
