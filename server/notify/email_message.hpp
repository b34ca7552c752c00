// email_message.hpp: builds the bytes of one RFC 5322 message that mailprune sends (notifications,
// reminders, progress reports): headers, and a multipart/alternative body with a text/plain and a
// text/html part.
//
// What the output always is:
//  - CRLF line ends; header lines folded at 76 characters where the text allows; no line over 998;
//  - non-ASCII header text (Subject, display names) as RFC 2047 encoded words (UTF-8, Q), each
//    at most 75 characters and never splitting a UTF-8 character; ASCII display names with
//    specials as quoted strings; a subject that merely looks like an encoded word is encoded;
//  - control characters (CR, LF, ...) in header text become spaces: no header injection;
//  - Date (RFC 5322, UTC), Message-ID, MIME-Version, Auto-Submitted: auto-generated (RFC 3834),
//    X-Auto-Response-Suppress: OOF, AutoReply (no out-of-office replies from Exchange/Outlook);
//  - both bodies UTF-8 in quoted-printable, lines at most 76 characters (soft breaks `=`), so any
//    text survives any relay; the boundary starts with "=_", which quoted-printable never
//    produces, so it cannot occur in a body.
// Addresses must be ASCII (no SMTPUTF8): build_message() throws std::invalid_argument otherwise.
//
// Pure functions, no I/O, thread-safe; except make_message_id() and campaign_email(), which draw
// random bytes.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailprune::notify {

// One address with its optional display name (UTF-8).
struct Mailbox {
  std::string display_name;
  std::string address;  // local@domain, ASCII
};

// What an e-mail says (notification.hpp's renderers write it).
struct RenderedEmail {
  std::string subject;  // one line, UTF-8 (build_message encodes it)
  std::string text;     // text/plain
  std::string html;     // text/html
};

// Reads "Name <local@domain>", "\"Name, Jr.\" <local@domain>", "<local@domain>" or "local@domain"
// (surrounding spaces ignored). nullopt when there is no single plausible ASCII address: no '@',
// empty local part or domain, spaces, angle brackets or control characters inside it.
std::optional<Mailbox> parse_mailbox(std::string_view text);

// The mailbox as header text (not folded): `address`, `Name <address>`, `"Name, Jr." <address>`
// or `=?UTF-8?Q?...?= <address>`.
std::string format_mailbox(const Mailbox& mailbox);

struct EmailMessage {
  Mailbox from;
  std::vector<Mailbox> to;  // at least one
  std::optional<Mailbox> reply_to;
  std::string subject;     // UTF-8
  std::string text;        // the text/plain alternative, UTF-8; LF or CRLF line ends
  std::string html;        // the text/html alternative: a whole HTML document, UTF-8
  std::time_t date = 0;    // the Date header, written in UTC
  std::string message_id;  // "left@right" without angle brackets (see make_message_id)
  // Further header fields, written after the standard ones: name (ASCII letters, digits, '-')
  // and unstructured value (UTF-8; encoded and folded like the subject).
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// The message's bytes, ready for SMTP DATA (CRLF line ends; dot-stuffing is the transport's job).
// Throws std::invalid_argument when an address is not ASCII/plausible, `to` is empty, the
// message id is malformed, or an extra header name is invalid.
std::string build_message(const EmailMessage& message);

// A new unique message id "<time>.<random>@<domain>" (16 random bytes as hex), without angle brackets.
std::string make_message_id(std::string_view domain);

// The domain of an address ("" when there is no '@').
std::string domain_of(std::string_view address);

// The e-mail of a campaign to one person (notifications, reminders, admins' reports): `content`
// from `from` (answers to `reply_to`) to `to` alone, dated `date`, under a new message id in the
// domain of `from` (make_message_id), with the header X-Mailprune-Campaign: `campaign`.
EmailMessage campaign_email(const RenderedEmail& content, const Mailbox& from, const std::optional<Mailbox>& reply_to,
                            const Mailbox& to, std::time_t date, const std::string& campaign);

// ---- building blocks, exposed for tests ----

// RFC 5322 date-time in UTC: "Sat, 12 Dec 2026 09:30:00 +0000".
std::string rfc5322_date(std::time_t time);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text: LF and CRLF become CRLF hard line breaks; lines
// of at most 76 characters; '=', non-ASCII and control bytes as =XX; spaces and tabs before a line
// break, and a '.' or "From " at the start of a line, encoded too.
std::string quoted_printable(std::string_view text);

// `text` as a sequence of RFC 2047 encoded words (=?UTF-8?Q?...?=) separated by spaces, each at
// most `max_word` characters (>= 16), never splitting a UTF-8 sequence. Invalid UTF-8 bytes are
// encoded as they are.
std::string encode_words(std::string_view text, std::size_t max_word = 60);

}  // namespace mailprune::notify
