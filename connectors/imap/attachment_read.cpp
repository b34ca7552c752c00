// ImapMailboxSession::read_attachment: one attachment's decoded content, streamed.
#include <algorithm>

#include "imap/bodystructure.hpp"
#include "imap/imap_mailbox_session.hpp"
#include "imap/mailbox_detail.hpp"
#include "mime/transfer_decode.hpp"

namespace mailprune::imap {

using connector::ConnectorError;
using detail::guarded;

namespace {

// Removes the literal sink when the read ends, however it ends.
class LiteralSinkScope {
 public:
  LiteralSinkScope(Session& session, LiteralSink sink) : session_(session) {
    session_.set_literal_sink(std::move(sink));
  }
  ~LiteralSinkScope() { session_.set_literal_sink({}); }
  LiteralSinkScope(const LiteralSinkScope&) = delete;
  LiteralSinkScope& operator=(const LiteralSinkScope&) = delete;

 private:
  Session& session_;
};

// Largest origin + count of a partial fetch: "to the end" is <offset.kMaxPartial - offset>.
constexpr std::uint64_t kMaxPartial = 4294967295;

ConnectorError gone(const connector::FolderState& folder, std::uint32_t uid, const std::string& section) {
  return ConnectorError(ConnectorError::Kind::not_found,
                        "folder " + folder.name + ": UID " + std::to_string(uid) + " section " + section + " is gone");
}

// The section's content in `fetch` when it was small enough to be buffered (not streamed).
const SectionData* section_in(const FetchMessage& fetch, bool binary, const std::string& section) {
  return binary ? fetch.binary(section) : fetch.body(section);
}

}  // namespace

void ImapMailboxSession::part_info_from(const CommandResult& result, std::uint32_t uid) {
  for (const auto& response : result.untagged) {
    const auto* fetch = std::get_if<FetchMessage>(&response);
    if (!fetch || fetch->uid != uid || !fetch->body_structure) continue;
    part_cache_uid_ = uid;
    part_cache_.clear();
    cache_parts(*fetch->body_structure);
    return;
  }
}

void ImapMailboxSession::cache_parts(const mime::MimePart& part) {
  part_cache_[content_section(part)] = PartInfo{part.type == "message", part.transfer_encoding};
  for (const auto& child : part.children) cache_parts(child);
}

ImapMailboxSession::PartInfo ImapMailboxSession::locate(const connector::FolderState& folder, std::uint32_t uid,
                                                        const std::string& section) {
  if (selected_ != folder.server_name) examine(folder, std::nullopt, {}, nullptr);
  if (folder.uidvalidity && selected_uidvalidity_ && *folder.uidvalidity != *selected_uidvalidity_) {
    throw ConnectorError(ConnectorError::Kind::not_found, "folder " + folder.name + ": UIDVALIDITY changed");
  }
  // The part's type and encoding first: a message/* part is read raw (Dovecot's BINARY of one
  // decodes the embedded message's own parts), and without BINARY the encoding is needed to decode.
  // Not pipelined with the content: Dovecot runs pipelined UID FETCHes in parallel, so the content
  // could stream in before the type is known. Skipped when the previous read was of the same message.
  if (part_cache_uid_ != uid) {
    CommandResult structure = session_->run(uid_fetch(next_tag(), std::to_string(uid), {"UID", "BODYSTRUCTURE"}));
    if (!structure.ok()) throw detail::failed("UID FETCH BODYSTRUCTURE", structure);
    part_info_from(structure, uid);
  }
  if (part_cache_uid_ == uid) {
    auto found = part_cache_.find(section);
    if (found != part_cache_.end()) return found->second;
  }
  throw gone(folder, uid, section);
}

bool ImapMailboxSession::read_attachment(const connector::FolderState& folder, const connector::MessageRef& message,
                                         const std::string& section, std::uint64_t limit,
                                         const connector::ContentSink& sink) {
  return guarded([&] { return read_range(folder, message, section, 0, limit, sink); });
}

bool ImapMailboxSession::read_attachment_from(const connector::FolderState& folder,
                                              const connector::MessageRef& message, const std::string& section,
                                              std::uint64_t offset, const connector::ContentSink& sink) {
  return guarded([&] { return read_range(folder, message, section, offset, 0, sink); });
}

bool ImapMailboxSession::read_range(const connector::FolderState& folder, const connector::MessageRef& message,
                                    const std::string& section, std::uint64_t offset, std::uint64_t limit,
                                    const connector::ContentSink& sink) {
  if (message.uid == 0 || message.uid > UINT32_MAX) {
    throw ConnectorError(ConnectorError::Kind::not_found, "no UID for " + message.item_id);
  }
  const auto uid = static_cast<std::uint32_t>(message.uid);
  const PartInfo info = locate(folder, uid, section);

  // A partial's origin and count are 32-bit numbers (RFC 3501 `number`).
  if (has("BINARY") && !info.message && offset < kMaxPartial && limit <= kMaxPartial - offset) {
    std::uint64_t delivered = 0;
    bool stopped = false;
    auto deliver = [&](std::string_view bytes) {
      bytes_for_content_ += bytes.size();
      if (stopped || bytes.empty()) return;
      delivered += bytes.size();
      if (!sink(bytes)) stopped = true;
    };
    std::string item = "BINARY.PEEK[" + section + "]";
    if (offset > 0 || limit > 0) {
      item += "<" + std::to_string(offset) + "." + std::to_string(limit > 0 ? limit : kMaxPartial - offset) + ">";
    }
    CommandResult result;
    try {
      LiteralSinkScope scope(*session_, [&](const LiteralChunk& chunk) { deliver(chunk.bytes); });
      result = session_->run(uid_fetch(next_tag(), std::to_string(uid), {"UID", item}));
    } catch (const Error& error) {
      // Dovecot 2.3 says BYE rather than NO to some broken base64 (see the header): a fresh session,
      // and this part decoded here from where the server stopped. A BYE is the server's verdict on
      // the part (damaged); a bare drop may be the network, so then the local decoding judges.
      if (!dropped(error)) throw;
      reconnect(error);
      if (stopped || (limit > 0 && delivered >= limit)) return error.kind != ErrorKind::bye;
      const bool clean = read_decoding(uid, section, info.transfer_encoding, offset + delivered,
                                       limit > 0 ? limit - delivered : 0, sink);
      return clean && error.kind != ErrorKind::bye;
    }
    if (result.ok()) {
      for (const auto& response : result.untagged) {
        const auto* fetch = std::get_if<FetchMessage>(&response);
        if (!fetch || fetch->uid != uid) continue;
        if (const SectionData* data = section_in(*fetch, true, section)) {
          if (!data->streamed) deliver(data->data);  // a range past the end: "" (Dovecot, Cyrus)
          return true;
        }
      }
      throw gone(folder, uid, section);
    }
    // The server will not decode this part (Dovecot: NO [PARSE] on broken quoted-printable or
    // base64): decode it here, leniently.
    if (result.status.condition != Condition::no) throw detail::failed("UID FETCH " + item, result);
  }
  return read_decoding(uid, section, info.transfer_encoding, offset, limit, sink);
}

bool ImapMailboxSession::read_decoding(std::uint32_t uid, const std::string& section, const std::string& encoding,
                                       std::uint64_t offset, std::uint64_t limit, const connector::ContentSink& sink) {
  mime::TransferDecoder decoder(encoding);
  // Identity encodings (7bit, 8bit, binary; message/* parts): decoded bytes are the encoded ones,
  // so the server skips the first `offset`. Otherwise they are decoded here and dropped.
  std::uint64_t origin = 0;
  std::uint64_t skip = offset;
  if (offset > 0 && decoder.encoding() == mime::TransferEncoding::identity && offset < kMaxPartial) {
    origin = offset;
    skip = 0;
  }
  // Encoded bytes enough for `skip + limit` decoded ones: base64 4/3 plus CRLF every 76 characters,
  // quoted-printable at most 3 per byte.
  std::uint64_t encoded_limit = 0;
  if (limit > 0) {
    const std::uint64_t wanted = skip + limit;
    switch (decoder.encoding()) {
      case mime::TransferEncoding::identity:
        encoded_limit = wanted;
        break;
      case mime::TransferEncoding::base64:
        encoded_limit = wanted / 3 * 4 + wanted / 28 + 1024;
        break;
      case mime::TransferEncoding::quoted_printable:
        encoded_limit = wanted * 3 + 1024;
        break;
    }
    if (encoded_limit > kMaxPartial - origin) encoded_limit = 0;  // beyond any partial: all of it
  }
  std::uint64_t delivered = 0;
  std::uint64_t encoded_received = 0;
  bool stopped = false;
  auto emit = [&](std::string_view bytes) {
    if (stopped) return;
    if (skip > 0) {
      const auto dropped_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(skip, bytes.size()));
      skip -= dropped_bytes;
      bytes.remove_prefix(dropped_bytes);
    }
    if (limit > 0 && delivered + bytes.size() > limit) bytes = bytes.substr(0, limit - delivered);
    delivered += bytes.size();
    if (!bytes.empty() && !sink(bytes)) stopped = true;
    if (limit > 0 && delivered >= limit) stopped = true;
  };
  auto feed = [&](std::string_view encoded) {
    bytes_for_content_ += encoded.size();
    encoded_received += encoded.size();
    if (!stopped) decoder.feed(encoded, emit);
  };
  std::string item = "BODY.PEEK[" + section + "]";
  if (origin > 0 || encoded_limit > 0) {
    item += "<" + std::to_string(origin) + "." +
            std::to_string(encoded_limit > 0 ? encoded_limit : kMaxPartial - origin) + ">";
  }
  CommandResult result;
  {
    LiteralSinkScope scope(*session_, [&](const LiteralChunk& chunk) { feed(chunk.bytes); });
    result = session_->run(uid_fetch(next_tag(), std::to_string(uid), {"UID", item}));
  }
  if (!result.ok()) throw detail::failed("UID FETCH " + item, result);
  bool found = false;
  for (const auto& response : result.untagged) {
    const auto* fetch = std::get_if<FetchMessage>(&response);
    if (!fetch || fetch->uid != uid) continue;
    if (const SectionData* data = section_in(*fetch, false, section)) {
      if (!data->streamed) feed(data->data);
      found = true;
      break;
    }
  }
  if (!found) {
    throw ConnectorError(ConnectorError::Kind::not_found,
                         "UID " + std::to_string(uid) + " section " + section + " is gone");
  }
  // The whole encoded content arrived (not cut by the partial): flush the decoder's last quantum.
  const bool whole = encoded_limit == 0 || encoded_received < encoded_limit;
  if (whole) decoder.finish(emit);
  return !decoder.damaged();
}

}  // namespace mailprune::imap
