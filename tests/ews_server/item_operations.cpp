// FindItem, SyncFolderItems, GetItem, UpdateItem, MoveItem, DeleteItem.
#include <algorithm>
#include <tuple>

#include "ews_server/ews_protocol.hpp"
#include "ews_server/ids.hpp"

namespace mailprune::ews_test {
namespace {

ResponseBody finish(XmlWriter& xml, ResponseBody body = {}) {
  body.append_text(xml.take());
  return body;
}

// Items of a folder in Exchange's default view order: newest received first.
std::vector<StoredItem*> folder_items(MailboxStore& store, const StoredFolder& folder) {
  std::vector<StoredItem*> items;
  for (std::uint64_t number : folder.items) {
    if (StoredItem* item = store.item(number)) items.push_back(item);
  }
  std::stable_sort(items.begin(), items.end(), [](const StoredItem* a, const StoredItem* b) {
    return std::tie(a->received, a->number) > std::tie(b->received, b->number);
  });
  return items;
}

}  // namespace

ResponseBody handle_find_item(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_item_shape(first_child(request, kMessagesNs, "ItemShape"), true);
  std::string traversal = attribute(request, "Traversal");
  xmlNodePtr view = first_child(request, kMessagesNs, "IndexedPageItemView");
  XmlWriter xml;
  ResponseBody body;
  xml.open("m:FindItemResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "ParentFolderIds"), kTypesNs)) {
    try {
      StoredFolder& folder = resolve_folder(context, id);
      std::vector<StoredItem*> items;
      if (traversal == "Shallow") items = folder_items(context.store, folder);  // no associated/soft-deleted items here
      std::size_t total = items.size();
      std::size_t offset = 0;
      std::size_t max = total;
      if (view) {
        offset = std::stoul(attribute(view, "Offset"));
        if (!attribute(view, "MaxEntriesReturned").empty()) max = std::stoul(attribute(view, "MaxEntriesReturned"));
      }
      max = std::min(max, context.find_page_limit);
      std::size_t begin = std::min(offset, total);
      std::size_t end = std::min(total, begin + max);
      if (view && attribute(view, "BasePoint") == "End") {
        end = total > offset ? total - offset : 0;
        begin = end > max ? end - max : 0;
      }
      open_success_message(xml, "FindItem");
      bool last = view && attribute(view, "BasePoint") == "End" ? begin == 0 : end == total;
      xml.open("m:RootFolder", {{"IndexedPagingOffset", std::to_string(end)},
                                {"TotalItemsInView", std::to_string(total)},
                                {"IncludesLastItemInRange", last ? "true" : "false"}});
      xml.open("t:Items");
      for (std::size_t i = begin; i < end; ++i) write_item(xml, &body, context, *items[i], shape);
      xml.close().close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "FindItem", error.code, error.what(), nullptr);
    }
  }
  xml.close().close();
  return finish(xml, std::move(body));
}

ResponseBody handle_sync_folder_items(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_item_shape(first_child(request, kMessagesNs, "ItemShape"), false);
  shape.fields.erase("item:Attachments");  // Exchange: attachments are a GetItem matter
  shape.include_mime_content = false;
  XmlWriter xml;
  ResponseBody body;
  xml.open("m:SyncFolderItemsResponse").open("m:ResponseMessages");
  try {
    xmlNodePtr sync_id = first_child(request, kMessagesNs, "SyncFolderId");
    StoredFolder& folder = resolve_folder(context, first_child(sync_id, kTypesNs, nullptr));
    std::size_t max_changes = std::stoul(node_text(first_child(request, kMessagesNs, "MaxChangesReturned")));
    SyncState state{folder.number, 0, 0};
    std::string state_text = node_text(first_child(request, kMessagesNs, "SyncState"));
    if (!state_text.empty()) {
      auto decoded = decode_sync_state(state_text);
      if (!decoded || decoded->folder != folder.number || decoded->reached > folder.seq) {
        throw ItemError("ErrorInvalidSyncStateData", "Synchronization state data is corrupt or otherwise invalid.");
      }
      state = *decoded;
    }
    // A change per item: its latest event after `reached`, in sequence order. Create/Update is
    // decided against `base` (what the client knew when this paging run began).
    struct Change {
      std::uint64_t key;
      int kind;  // 0 create, 1 update, 2 delete
      std::uint64_t item;
    };
    std::vector<Change> changes;
    for (std::uint64_t number : folder.items) {
      const StoredItem* item = context.store.item(number);
      if (item == nullptr || item->modified_seq <= state.reached) continue;
      changes.push_back({item->modified_seq, item->created_seq > state.base ? 0 : 1, number});
    }
    for (const Tombstone& tombstone : folder.tombstones) {
      if (tombstone.deleted_seq > state.reached && tombstone.created_seq <= state.reached) {
        changes.push_back({tombstone.deleted_seq, 2, tombstone.item});
      }
    }
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.key < b.key; });
    bool includes_last = changes.size() <= max_changes;
    if (!includes_last) changes.resize(max_changes);
    SyncState next = includes_last ? SyncState{folder.number, folder.seq, folder.seq}
                                   : SyncState{folder.number, state.base, changes.back().key};
    open_success_message(xml, "SyncFolderItems");
    xml.leaf("m:SyncState", encode_sync_state(next));
    xml.leaf_bool("m:IncludesLastItemInRange", includes_last);
    xml.open("m:Changes");
    for (const Change& change : changes) {
      if (change.kind == 2) {
        xml.open("t:Delete").empty("t:ItemId", {{"Id", item_id(change.item)}}).close();
        continue;
      }
      xml.open(change.kind == 0 ? "t:Create" : "t:Update");
      write_item(xml, &body, context, *context.store.item(change.item), shape);
      xml.close();
    }
    xml.close().close();
  } catch (const ItemError& error) {
    write_error_message(xml, "SyncFolderItems", error.code, error.what(), nullptr);
  }
  xml.close().close();
  return finish(xml, std::move(body));
}

ResponseBody handle_get_item(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_item_shape(first_child(request, kMessagesNs, "ItemShape"), false);
  XmlWriter xml;
  ResponseBody body;
  xml.open("m:GetItemResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "ItemIds"), kTypesNs)) {
    try {
      StoredItem& item = resolve_item(context, id);
      open_success_message(xml, "GetItem");
      xml.open("m:Items");
      write_item(xml, &body, context, item, shape);
      xml.close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "GetItem", error.code, error.what(), "m:Items");
    }
  }
  xml.close().close();
  return finish(xml, std::move(body));
}

namespace {

// The stale-ChangeKey rule shared by UpdateItem: a ChangeKey older than the item's is a conflict
// unless the client said AlwaysOverwrite.
void check_change_key(const StoredItem& item, xmlNodePtr id, const std::string& resolution) {
  std::string key = attribute(id, "ChangeKey");
  if (key.empty()) return;
  auto change = parse_item_change_key(key, item.number);
  if (!change) throw ItemError("ErrorInvalidChangeKey", "The change key is invalid.");
  if (*change != item.change && resolution != "AlwaysOverwrite") {
    throw ItemError("ErrorIrresolvableConflict",
                    "The send or update operation could not be performed because the change key passed in the "
                    "request does not match the current change key for the item.");
  }
}

void apply_set_field(StoredItem& item, const std::string& field, xmlNodePtr value_item) {
  if (field == "message:IsRead") {
    item.is_read = node_text(first_child(value_item, kTypesNs, "IsRead")) == "true";
  } else if (field == "item:Subject") {
    item.mime.subject = node_text(first_child(value_item, kTypesNs, "Subject"));
  } else if (field == "item:Flag") {
    xmlNodePtr flag = first_child(value_item, kTypesNs, "Flag");
    item.is_flagged = node_text(first_child(flag, kTypesNs, "FlagStatus")) == "Flagged";
  }
  // Other fields (Body, Categories, ...) are accepted and only bump the ChangeKey.
}

}  // namespace

ResponseBody handle_update_item(RequestContext& context, xmlNodePtr request) {
  std::string resolution = attribute(request, "ConflictResolution");
  XmlWriter xml;
  xml.open("m:UpdateItemResponse").open("m:ResponseMessages");
  for (xmlNodePtr change : child_elements(first_child(request, kMessagesNs, "ItemChanges"), kTypesNs, "ItemChange")) {
    try {
      xmlNodePtr id = first_child(change, kTypesNs, "ItemId");
      if (id == nullptr) throw ItemError("ErrorInvalidOperation", "Only ItemId is supported by the test server.");
      StoredItem& item = resolve_item(context, id);
      check_change_key(item, id, resolution);
      for (xmlNodePtr update : child_elements(first_child(change, kTypesNs, "Updates"), kTypesNs)) {
        xmlNodePtr path = first_child(update, kTypesNs, "FieldURI");
        std::string field = path ? attribute(path, "FieldURI") : "";
        std::string kind = reinterpret_cast<const char*>(update->name);
        if (kind == "SetItemField") {
          xmlNodePtr value = nullptr;
          for (xmlNodePtr child : child_elements(update, kTypesNs)) {
            std::string name = reinterpret_cast<const char*>(child->name);
            if (name != "FieldURI" && name != "IndexedFieldURI" && name != "ExtendedFieldURI") value = child;
          }
          apply_set_field(item, field, value);
        } else if (kind == "DeleteItemField" && field == "item:Flag") {
          item.is_flagged = false;
        }
      }
      context.store.touch(item);
      open_success_message(xml, "UpdateItem");
      xml.open("m:Items").open(item_element_name(item));
      xml.empty("t:ItemId", {{"Id", item_id(item.number)}, {"ChangeKey", item_change_key(item.number, item.change)}});
      xml.close().close();
      xml.open("m:ConflictResults").leaf("t:Count", 0).close();
      xml.close();
    } catch (const ItemError& error) {
      write_error_message(xml, "UpdateItem", error.code, error.what(), "m:Items");
    }
  }
  xml.close().close();
  return finish(xml);
}

ResponseBody handle_move_item(RequestContext& context, xmlNodePtr request) {
  XmlWriter xml;
  xml.open("m:MoveItemResponse").open("m:ResponseMessages");
  xmlNodePtr to = first_child(request, kMessagesNs, "ToFolderId");
  bool return_ids = node_text(first_child(request, kMessagesNs, "ReturnNewItemIds")) != "false";
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "ItemIds"), kTypesNs)) {
    try {
      StoredFolder& target = resolve_folder(context, first_child(to, kTypesNs, nullptr));
      StoredItem& item = resolve_item(context, id);
      if (target.mailbox != item.mailbox) {
        throw ItemError("ErrorCrossMailboxMoveCopy", "Cross-mailbox moves are not supported by the test server.");
      }
      if (target.distinguished == "root") throw ItemError("ErrorMoveCopyFailed", "The move or copy operation failed.");
      std::uint64_t moved = context.store.move_item(item, target);
      const StoredItem& now = *context.store.item(moved);
      open_success_message(xml, "MoveItem");
      xml.open("m:Items");
      if (return_ids) {
        xml.open(item_element_name(now));
        xml.empty("t:ItemId", {{"Id", item_id(now.number)}, {"ChangeKey", item_change_key(now.number, now.change)}});
        xml.close();
      }
      xml.close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "MoveItem", error.code, error.what(), "m:Items");
    }
  }
  xml.close().close();
  return finish(xml);
}

ResponseBody handle_delete_item(RequestContext& context, xmlNodePtr request) {
  std::string type = attribute(request, "DeleteType");
  XmlWriter xml;
  xml.open("m:DeleteItemResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "ItemIds"), kTypesNs)) {
    try {
      StoredItem& item = resolve_item(context, id);
      Mailbox* owner = context.store.mailbox(item.mailbox);
      if (type == "MoveToDeletedItems" && item.folder != owner->deleteditems) {
        context.store.move_item(item, *context.store.folder(owner->deleteditems));
      } else {
        // HardDelete, and SoftDelete (the item goes to the Recoverable Items, out of every view).
        context.store.delete_item(item.number);
      }
      open_success_message(xml, "DeleteItem");
      xml.close();
    } catch (const ItemError& error) {
      write_error_message(xml, "DeleteItem", error.code, error.what(), nullptr);
    }
  }
  xml.close().close();
  return finish(xml);
}

}  // namespace mailprune::ews_test
