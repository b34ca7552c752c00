// message_record.hpp: what the IMAP connector makes of one FETCH response and one LIST reply,
// as pure functions (no session), so the mapping is tested on canned responses.
//
//   FETCH (UID RFC822.SIZE INTERNALDATE FLAGS ENVELOPE BODYSTRUCTURE [MODSEQ] [EMAILID|X-GUID])
//     -> connector::MessageRecord: MODSEQ as the ref's change_key (decimal), envelope subject and from decoded to UTF-8
//     (RFC 2047), the Date:
//        header parsed to unix seconds, attachments by mime::classify_attachments (INVENTORY.md),
//        protection by mime::message_protection, parse_error when the BODYSTRUCTURE could not be
//        read (then no attachments).
//   LIST mailbox name -> the folder name of INVENTORY.md: modified UTF-7 decoded, the server's
//     hierarchy delimiter replaced by '/'.
//
// Attachment sizes come out of classify_attachments(): exact for identity encodings (7bit, 8bit,
// binary: message/rfc822 parts included, whose octets are the embedded message's raw bytes, the
// content INVENTORY.md counts), estimated otherwise; the session's BINARY.SIZE pass
// (binary_sizes.cpp) makes them exact afterwards. Not BINARY.SIZE for message/* parts when they are
// exact already: Dovecot 2.3 answers BINARY[...] of a message/rfc822 part with the embedded message
// with ITS parts' transfer encodings decoded (fewer bytes than the raw message).
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/fetch.hpp"
#include "interface/connector.hpp"

namespace mailprune::imap {

// The record of one FETCH response. `fetch.uid` must be set (the caller checks). A FETCH without
// BODYSTRUCTURE, or with one the grammar could not interpret, gives a record with parse_error and
// no attachments.
connector::MessageRecord message_record(const FetchMessage& fetch);

// Sections of `record` whose size is only an estimate: what BINARY.SIZE should be asked for.
std::vector<std::string> inexact_sections(const connector::MessageRecord& record);

// "signed", "encrypted", "calendar", "tnef" or "" for the message whose MIME tree is `root`
// (encrypted wins over signed, signed over calendar, calendar over tnef).
std::string protection_of(const mime::MimePart& root);

// RFC 5322 Date: header to unix seconds (UTC), leniently: optional day name, 2- or 4-digit year,
// optional seconds, numeric zones or the RFC 822 names (UT, GMT, EST...; unknown names read as UTC).
std::optional<std::int64_t> parse_rfc5322_date(std::string_view text);

// The folder name of INVENTORY.md from a LIST reply's wire name and delimiter: modified UTF-7
// decoded (raw 8-bit names taken as UTF-8 or Latin-1), the delimiter replaced by '/', and "INBOX"
// in any case written "INBOX".
std::string decode_folder_name(std::string_view wire, std::optional<char> delimiter);

// The special-use attribute among a LIST reply's attributes ("\\Sent", ...), or "".
std::string special_use_of(const std::vector<std::string>& attributes);

}  // namespace mailprune::imap
