// ids.hpp: the opaque ids the EWS test server hands out — ItemId, FolderId, AttachmentId,
// ChangeKeys and SyncStates — as base64 of small binary records, shaped like Exchange's (a
// ChangeKey starts "CQAAABYAAAA" for items, "AQAAABYAAAA" for folders). Each record carries a
// magic and a checksum so that a foreign or damaged id is told apart from an unknown one:
// decoding returns std::nullopt for anything this server did not make.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mailprune::ews_test {

std::string item_id(std::uint64_t item);
std::string folder_id(std::uint64_t folder);
std::string attachment_id(std::uint64_t item, std::uint32_t attachment);
std::string item_change_key(std::uint64_t item, std::uint64_t change);
std::string folder_change_key(std::uint64_t folder, std::uint64_t change);

std::optional<std::uint64_t> parse_item_id(const std::string& id);
std::optional<std::uint64_t> parse_folder_id(const std::string& id);
struct AttachmentRef {
  std::uint64_t item = 0;
  std::uint32_t attachment = 0;
};
std::optional<AttachmentRef> parse_attachment_id(const std::string& id);
// The change counter in an item ChangeKey for `item`; nullopt when malformed or another item's.
std::optional<std::uint64_t> parse_item_change_key(const std::string& key, std::uint64_t item);

// SyncFolderItems state: the folder, the sequence the client had when this paging run began
// (`base`) and the sequence reached so far (`reached`). SyncFolderHierarchy uses base = reached.
struct SyncState {
  std::uint64_t folder = 0;
  std::uint64_t base = 0;
  std::uint64_t reached = 0;
};
std::string encode_sync_state(const SyncState& state);
std::optional<SyncState> decode_sync_state(const std::string& text);

std::string base64_encode(const std::string& bytes);
// Lenient about whitespace; nullopt on other invalid characters.
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace mailprune::ews_test
