// command.hpp: IMAP commands as bytes to write, sans I/O.
//
// A Command is a list of segments. The session writes segment 0; if it is marked
// `wait_for_continuation` (it ends with a synchronizing literal marker `{n}\r\n`), it waits for
// the server's `+` continuation before writing the next segment, and so on; a tagged NO/BAD instead
// of `+` ends the command (the rest is not sent). With LITERAL+ (RFC 7888) literals are written
// `{n+}` and the whole command is one segment. The last segment ends with CRLF.
//
// Strings are written as an atom when they can be, as a quoted string when they are 7-bit text
// without CR/LF/NUL (or UTF-8 once UTF8=ACCEPT is enabled), as a literal otherwise.
// Mailbox names are given as Mailbox values: built from UTF-8 (encoded to modified UTF-7 unless
// UTF8=ACCEPT) or taken verbatim from a LIST reply (wire form), so odd names round-trip untouched.
//
// Secrets (LOGIN password, AUTHENTICATE responses) are marked: Command::loggable() masks them, so a
// traffic log never holds a password. Builders do not validate UIDs or sets: split long UID lists
// with split_sequence_sets() (sequence_set.hpp) before building, to stay under the server's line
// limit (8000 octets is safe everywhere).
//
// Pure functions and plain values; thread-safe. TagGenerator is per connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailprune::imap {

struct CommandOptions {
  bool literal_plus = false;   // server offers LITERAL+: every literal is non-synchronizing
  bool literal_minus = false;  // server offers LITERAL-: non-synchronizing up to 4096 bytes
  bool utf8_accept = false;    // UTF8=ACCEPT enabled: UTF-8 in quoted strings and mailbox names
};

struct CommandSegment {
  std::string bytes;
  bool wait_for_continuation = false;  // wait for `+` after writing these bytes
  bool sensitive = false;              // holds a secret (masked by loggable())
};

struct Command {
  std::string tag;
  std::string name;  // upper-cased command name: "UID FETCH", "APPEND", "AUTHENTICATE"
  std::vector<CommandSegment> segments;

  [[nodiscard]] bool needs_continuation() const noexcept;  // any synchronizing literal?
  [[nodiscard]] std::string wire() const;                  // all bytes in order (what the server will get)
  [[nodiscard]] std::string loggable() const;              // wire() with secrets replaced by "***"
  [[nodiscard]] std::uint64_t size() const noexcept;
};

// Tags "<prefix>0001", "<prefix>0002", ... one generator per connection.
class TagGenerator {
 public:
  explicit TagGenerator(std::string prefix = "M") : prefix_(std::move(prefix)) {}
  std::string next();

 private:
  std::string prefix_;
  std::uint64_t counter_ = 0;
};

// A mailbox name in wire form.
class Mailbox {
 public:
  // From UTF-8: "INBOX" in any case becomes INBOX; otherwise modified UTF-7 (or UTF-8 as is when
  // utf8_accept). nullopt when `utf8` is not valid UTF-8.
  static std::optional<Mailbox> from_utf8(std::string_view utf8, bool utf8_accept = false);
  // Exactly as received in LIST/STATUS replies.
  static Mailbox from_wire(std::string wire) { return Mailbox(std::move(wire)); }
  [[nodiscard]] const std::string& wire() const noexcept { return wire_; }

 private:
  explicit Mailbox(std::string wire) : wire_(std::move(wire)) {}
  std::string wire_;
};

// Low-level writer used by the builders below; public for commands not covered here.
class CommandWriter {
 public:
  CommandWriter(const CommandOptions& options, std::string tag, std::string name);
  CommandWriter& raw(std::string_view text);  // atoms, spaces, parentheses: written as they are
  CommandWriter& sp() { return raw(" "); }
  CommandWriter& astring(std::string_view text, bool sensitive = false);
  CommandWriter& string(std::string_view text, bool sensitive = false);  // quoted or literal
  CommandWriter& literal(std::string_view data, bool sensitive = false);
  CommandWriter& mailbox(const Mailbox& mailbox) { return astring(mailbox.wire()); }
  // Ends the command line (CRLF) and returns it.
  Command finish();
  // Ends the current segment and waits for `+` (SASL without SASL-IR); the next bytes are a
  // continuation line.
  CommandWriter& wait_for_continuation();

 private:
  CommandSegment& current();
  const CommandOptions& options_;
  Command command_;
};

// ---- Builders. `tag` comes from the connection's TagGenerator. ----

Command capability(std::string tag);
Command noop(std::string tag);
Command logout(std::string tag);
// ID (RFC 2971): field/value pairs; empty -> ID NIL.
Command id(const CommandOptions& options, std::string tag,
           const std::vector<std::pair<std::string, std::string>>& fields);
Command login(const CommandOptions& options, std::string tag, std::string_view user, std::string_view password);
// AUTHENTICATE PLAIN (RFC 4616): authzid \0 authcid \0 password, base64. `authzid` non-empty acts
// as that user (Cyrus admins); a Dovecot master user login is just authcid "user*admin". With
// sasl_ir (RFC 4959) the response goes on the command line, otherwise after the `+`.
Command authenticate_plain(const CommandOptions& options, std::string tag, std::string_view authcid,
                           std::string_view password, std::string_view authzid = {}, bool sasl_ir = true);
// AUTHENTICATE XOAUTH2 (Google/Microsoft): "user=<u>\1auth=Bearer <token>\1\1", base64. On failure
// the server sends a `+ <base64 JSON>` continuation; the session answers it with an empty line
// (sasl_cancel_line()) and then gets the tagged NO.
Command authenticate_xoauth2(const CommandOptions& options, std::string tag, std::string_view user,
                             std::string_view access_token, bool sasl_ir = true);
std::string sasl_cancel_line();  // "\r\n": an empty response to a SASL challenge
Command enable(std::string tag, const std::vector<std::string>& capabilities);
// COMPRESS DEFLATE (RFC 4978): after its tagged OK both directions are raw DEFLATE streams; the
// session wraps its transport, and the framer keeps going on the inflated bytes.
Command compress_deflate(std::string tag);

struct ListOptions {
  bool select_special_use = false;  // LIST (SPECIAL-USE) ... : only special-use mailboxes
  bool return_special_use = false;  // RETURN (SPECIAL-USE)
  bool return_children = false;     // RETURN (CHILDREN)
  // RETURN (STATUS (...)) (RFC 5819 LIST-STATUS), e.g. {"MESSAGES","UIDNEXT","UIDVALIDITY",
  // "HIGHESTMODSEQ","SIZE"}; empty: not asked.
  std::vector<std::string> return_status;
};
// `reference` and `pattern` as wire strings (pattern may hold * and %).
Command list(const CommandOptions& options, std::string tag, std::string_view reference, std::string_view pattern,
             const ListOptions& list_options = {});
Command status(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const std::vector<std::string>& items);

struct QresyncParams {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::string known_uids;  // optional sequence set of UIDs the client knows
};
struct SelectOptions {
  bool read_only = false;                // EXAMINE
  bool condstore = false;                // (CONDSTORE)
  std::optional<QresyncParams> qresync;  // (QRESYNC (...)); needs ENABLE QRESYNC first
};
Command select(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const SelectOptions& select_options = {});

struct FetchModifiers {
  std::optional<std::uint64_t> changed_since;  // (CHANGEDSINCE n)
  bool vanished = false;                       // VANISHED (with CHANGEDSINCE, QRESYNC enabled)
};
// UID FETCH <set> (<items>) [modifiers]. `items` are written as given:
// {"UID","RFC822.SIZE","INTERNALDATE","FLAGS","ENVELOPE","BODYSTRUCTURE","BINARY.SIZE[2]",
//  "BINARY.PEEK[2]<0.65536>"}.
Command uid_fetch(std::string tag, std::string_view uid_set, const std::vector<std::string>& items,
                  const FetchModifiers& modifiers = {});

// One search argument: an atom written as is ("ALL", "UID", "1:*", "MODSEQ", "HEADER") or a
// string (quoted or literal as needed).
struct SearchArg {
  std::string text;
  bool is_string = false;
};
SearchArg search_atom(std::string text);
SearchArg search_string(std::string text);
struct SearchReturn {  // ESEARCH (RFC 4731) RETURN options; all false: plain SEARCH
  bool min = false, max = false, count = false, all = false;
};
// UID SEARCH [RETURN (...)] [CHARSET UTF-8] <criteria>. CHARSET is added when a string argument
// holds non-ASCII bytes and UTF8=ACCEPT is not enabled.
Command uid_search(const CommandOptions& options, std::string tag, const std::vector<SearchArg>& criteria,
                   const SearchReturn& returns = {});

// UID STORE <set> [(UNCHANGEDSINCE n)] <action> (<flags>); action "+FLAGS.SILENT", "-FLAGS", ...
Command uid_store(std::string tag, std::string_view uid_set, std::string_view action,
                  const std::vector<std::string>& flags, std::optional<std::uint64_t> unchanged_since = std::nullopt);
Command uid_expunge(std::string tag, std::string_view uid_set);  // RFC 4315 UIDPLUS
Command uid_move(const CommandOptions& options, std::string tag, std::string_view uid_set,
                 const Mailbox& destination);  // RFC 6851
Command uid_copy(const CommandOptions& options, std::string tag, std::string_view uid_set, const Mailbox& destination);

// APPEND <mailbox> [(<flags>)] ["<date-time>"] <literal>. `internal_date` is the date-time text
// without quotes (FetchMessage::internal_date_raw keeps the original zone, or
// format_internal_date()). Flags must not include \Recent.
Command append(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const std::vector<std::string>& flags, const std::optional<std::string>& internal_date,
               std::string_view message);

// CATENATE (RFC 4469): parts are URL references (RFC 5092 IMAP URLs, e.g.
// "/INBOX;UIDVALIDITY=785799047/;UID=20/;SECTION=1.HEADER") or TEXT literals.
struct CatenatePart {
  bool is_url = false;
  std::string data;  // URL, or the text's bytes
};
Command append_catenate(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
                        const std::vector<std::string>& flags, const std::optional<std::string>& internal_date,
                        const std::vector<CatenatePart>& parts);

Command getquotaroot(const CommandOptions& options, std::string tag, const Mailbox& mailbox);

// Standard base64 (RFC 4648) for SASL; exposed for tests.
std::string base64_encode(std::string_view bytes);

}  // namespace mailprune::imap
