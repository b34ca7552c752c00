// response.hpp: typed IMAP server responses from complete framed responses, sans I/O.
//
//   Framer framer;  ...  feed() returned complete:
//   FramedResponse framed = framer.take();
//   Parsed<Response> parsed = parse_response(framed);
//   if (!parsed) { parsed.error().message / .raw / .offset ...; }
//   else if (auto* status = std::get_if<StatusResponse>(&parsed.value())) { ... }
//   else if (auto* fetch = std::get_if<FetchMessage>(&parsed.value())) { ... }
//
// Covered (RFC 3501 / RFC 9051 and extensions): tagged and untagged OK/NO/BAD, BYE, PREAUTH with
// response codes; `+` continuations; CAPABILITY; ENABLED; LIST/LSUB/XLIST (with LIST-EXTENDED data:
// CHILDINFO, OLDNAME); STATUS (also as LIST-STATUS replies); EXISTS/RECENT/EXPUNGE; FLAGS; SEARCH
// (with CONDSTORE MODSEQ); ESEARCH; VANISHED (EARLIER); QUOTA/QUOTAROOT; ID; NAMESPACE; FETCH
// (fetch.hpp). Anything else untagged is UnknownData (kept raw, never an error).
//
// Mailbox names are returned as on the wire (modified UTF-7 unless UTF8=ACCEPT was enabled):
// decode them for display with mutf7_decode() (mutf7.hpp), and keep the wire form to address the
// mailbox again.
//
// Leniency, each with a test row: trailing spaces (Exchange), runs of spaces (DavMail, Domino),
// empty STATUS lists (mail.163.com), `\*` in FLAGS (GreenMail), sequence number 0 (Courier),
// a response code line without `*` (Exchange 2013 `[COPYUID ...]`, read as untagged OK).
//
// Errors are values: a ParseError with the raw text (literal bodies left out) and the offset.
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "imap/error.hpp"
#include "imap/fetch.hpp"
#include "imap/framer.hpp"
#include "imap/parser_limits.hpp"
#include "imap/sequence_set.hpp"

namespace mailprune::imap {

enum class Condition { ok, no, bad, bye, preauth };

struct ResponseCode {
  std::string name;  // upper-cased: "UIDVALIDITY", "APPENDUID", "PARSE", "X-SOMETHING"
  std::string raw;   // everything between the name and `]`, as received (unknown codes live here)
  // CAPABILITY: capabilities; PERMANENTFLAGS: flags; BADCHARSET: charsets.
  std::vector<std::string> list;
  // UIDVALIDITY, UIDNEXT, UNSEEN, HIGHESTMODSEQ; APPENDUID / COPYUID: the destination UIDVALIDITY.
  std::optional<std::uint64_t> number;
  SequenceSet source_uids;  // COPYUID source set
  SequenceSet uids;         // APPENDUID / COPYUID destination set; MODIFIED set
};

struct StatusResponse {
  std::string tag;  // empty when untagged
  Condition condition = Condition::ok;
  std::optional<ResponseCode> code;
  std::string text;
  [[nodiscard]] bool tagged() const noexcept { return !tag.empty(); }
};

struct ContinuationRequest {
  std::string text;  // base64 for SASL challenges; free text otherwise
};

struct CapabilityData {
  std::vector<std::string> capabilities;  // as sent ("IMAP4rev1", "AUTH=PLAIN", "LITERAL+")
};

struct EnabledData {
  std::vector<std::string> capabilities;
};

struct ListData {
  bool lsub = false;
  std::vector<std::string> attributes;     // as sent: "\HasNoChildren", "\Sent", "\Noselect"
  std::optional<char> delimiter;           // nullopt for NIL (flat namespace)
  std::string mailbox;                     // wire form
  std::vector<std::string> childinfo;      // LIST-EXTENDED CHILDINFO ("SUBSCRIBED")
  std::optional<std::string> old_name;     // LIST-EXTENDED OLDNAME
  std::vector<std::string> extended_tags;  // other extended items (upper-cased), values skipped
  [[nodiscard]] bool has_attribute(std::string_view attribute) const noexcept;  // case-insensitive
};

struct StatusData {
  std::string mailbox;  // wire form
  std::optional<std::uint64_t> messages, recent, uidnext, uidvalidity, unseen, highestmodseq, size, deleted,
      deleted_storage, appendlimit;
  std::optional<std::string> mailboxid;  // RFC 8474
};

struct ExistsData {
  std::uint32_t count = 0;
};
struct RecentData {
  std::uint32_t count = 0;
};
struct ExpungeData {
  std::uint32_t seq = 0;
};

struct FlagsData {
  std::vector<std::string> flags;
};

struct SearchData {
  std::vector<std::uint32_t> numbers;   // UIDs for UID SEARCH, sequence numbers otherwise
  std::optional<std::uint64_t> modseq;  // RFC 7162 `(MODSEQ n)`
};

struct EsearchData {
  std::string correlator;  // the command tag from `(TAG "A12")`, empty if absent
  bool uid = false;
  std::optional<std::uint32_t> min, max;
  std::optional<std::uint64_t> count;
  SequenceSet all;  // empty when not returned (or nothing matched)
  std::optional<std::uint64_t> modseq;
};

struct VanishedData {
  bool earlier = false;
  SequenceSet uids;
};

struct QuotaResource {
  std::string name;  // upper-cased: "STORAGE" (KiB), "MESSAGE", "MAILBOX", "ANNOTATION-STORAGE"
  std::uint64_t usage = 0;
  std::uint64_t limit = 0;
};

struct QuotaData {
  std::string root;
  std::vector<QuotaResource> resources;
};

struct QuotaRootData {
  std::string mailbox;
  std::vector<std::string> roots;
};

struct IdData {
  // Field/value pairs as sent; `ID NIL` gives none. NIL values -> nullopt.
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

struct NamespaceEntry {
  std::string prefix;
  std::optional<char> delimiter;
};

struct NamespaceData {
  std::vector<NamespaceEntry> personal, other_users, shared;
};

struct UnknownData {
  std::string name;  // upper-cased keyword, e.g. "METADATA", or "" when unreadable
  std::string raw;   // the whole text after `* `
};

using Response = std::variant<StatusResponse, ContinuationRequest, CapabilityData, EnabledData, ListData, StatusData,
                              ExistsData, RecentData, ExpungeData, FlagsData, SearchData, EsearchData, VanishedData,
                              QuotaData, QuotaRootData, IdData, NamespaceData, FetchMessage, UnknownData>;

Parsed<Response> parse_response(const FramedResponse& framed, const ParserLimits& limits = {});
// The same, moving literal data (message bodies) into the result instead of copying:
// `parse_response(framer.take())`.
Parsed<Response> parse_response(FramedResponse&& framed, const ParserLimits& limits = {});

// Convenience for tests and tools: frames and parses one response given as complete text (with
// literals inline, `{n}\r\n` followed by n bytes). Streaming is not used.
Parsed<Response> parse_response_text(std::string_view text, const ParserLimits& limits = {});

}  // namespace mailprune::imap
