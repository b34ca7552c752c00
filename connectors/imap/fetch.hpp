// fetch.hpp: one FETCH response (RFC 3501 §7.4.2, RFC 3516 BINARY, RFC 7162 MODSEQ,
// RFC 8474 EMAILID/THREADID, Dovecot X-GUID, Gmail X-GM-MSGID/X-GM-THRID/X-GM-LABELS), typed.
//
// Items not asked for are simply absent (nullopt / empty). Items this parser does not know are
// skipped safely as one generic value and their names listed in `skipped_items`.
//
// Body sections (BODY[...], BINARY[...], RFC822*): their bytes are in `data`, unless the literal
// was larger than the framer's streaming threshold: then `streamed` is true, `data` is empty and the
// bytes went to the framer's LiteralSink under FramedResponse::literals[*literal_index].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/bodystructure.hpp"
#include "imap/error.hpp"
#include "mime/mime_part.hpp"

namespace mailprune::imap {

struct SectionData {
  // Section spec between the brackets, upper-cased, spaces normalised as received:
  // "" (whole message), "2", "1.2.MIME", "HEADER", "HEADER.FIELDS (SUBJECT FROM)".
  // RFC822 -> "", RFC822.HEADER -> "HEADER", RFC822.TEXT -> "TEXT".
  std::string section;
  std::optional<std::uint64_t> origin;       // `<origin>` of a partial fetch
  bool nil = false;                          // the server sent NIL (e.g. a BINARY of nothing)
  bool streamed = false;                     // bytes went to the sink; data empty
  std::uint64_t size = 0;                    // length of the content in bytes
  std::optional<std::size_t> literal_index;  // index in FramedResponse::literals, if a literal
  std::string data;
};

struct FetchMessage {
  std::uint32_t seq = 0;  // message sequence number (Courier has sent 0; accepted)
  std::optional<std::uint32_t> uid;
  std::optional<std::uint64_t> rfc822_size;
  // INTERNALDATE as seconds since the Unix epoch (UTC), and as received.
  std::optional<std::int64_t> internal_date;
  std::optional<std::string> internal_date_raw;
  std::optional<std::vector<std::string>> flags;
  std::optional<std::uint64_t> modseq;
  std::optional<Envelope> envelope;
  // From BODYSTRUCTURE (extended = true) or BODY (extended = false; no dispositions).
  std::optional<mime::MimePart> body_structure;
  bool body_structure_extended = false;
  // Set when a BODY/BODYSTRUCTURE was syntactically fine but could not be interpreted: the rest of
  // the FETCH (UID, sizes) is still good (swift-nio-imap #757 does the same).
  std::optional<ParseError> body_structure_error;
  std::vector<std::pair<std::string, std::uint64_t>> binary_sizes;  // BINARY.SIZE[section]
  std::vector<SectionData> body_sections;                           // BODY[...], RFC822*
  std::vector<SectionData> binary_sections;                         // BINARY[...]
  std::optional<std::string> email_id;                              // RFC 8474 EMAILID
  std::optional<std::string> thread_id;                             // RFC 8474 THREADID (NIL -> nullopt)
  std::optional<std::string> x_guid;                                // Dovecot X-GUID
  std::optional<std::uint64_t> gm_msgid;
  std::optional<std::uint64_t> gm_thrid;
  std::optional<std::vector<std::string>> gm_labels;
  std::vector<std::string> skipped_items;  // upper-cased names of unknown items

  [[nodiscard]] std::optional<std::uint64_t> binary_size(std::string_view section) const;
  [[nodiscard]] const SectionData* binary(std::string_view section) const;
  [[nodiscard]] const SectionData* body(std::string_view section) const;
};

}  // namespace mailprune::imap
