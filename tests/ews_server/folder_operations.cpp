// GetFolder, FindFolder, SyncFolderHierarchy, CreateFolder.
#include <algorithm>

#include "ews_server/ews_protocol.hpp"
#include "ews_server/ids.hpp"

namespace mailprune::ews_test {
namespace {

void descendants(MailboxStore& store, const StoredFolder& folder, bool deep, std::vector<StoredFolder*>& out) {
  for (StoredFolder* child : store.children(folder.number)) {
    out.push_back(child);
    if (deep) descendants(store, *child, deep, out);
  }
}

}  // namespace

ResponseBody handle_get_folder(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_folder_shape(first_child(request, kMessagesNs, "FolderShape"));
  XmlWriter xml;
  xml.open("m:GetFolderResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "FolderIds"), kTypesNs)) {
    try {
      StoredFolder& folder = resolve_folder(context, id);
      open_success_message(xml, "GetFolder");
      xml.open("m:Folders");
      write_folder(xml, context, folder, shape);
      xml.close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "GetFolder", error.code, error.what(), "m:Folders");
    }
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

ResponseBody handle_find_folder(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_folder_shape(first_child(request, kMessagesNs, "FolderShape"));
  bool deep = attribute(request, "Traversal") == "Deep";
  xmlNodePtr view = first_child(request, kMessagesNs, "IndexedPageFolderView");
  XmlWriter xml;
  xml.open("m:FindFolderResponse").open("m:ResponseMessages");
  for (xmlNodePtr id : child_elements(first_child(request, kMessagesNs, "ParentFolderIds"), kTypesNs)) {
    try {
      StoredFolder& parent = resolve_folder(context, id);
      std::vector<StoredFolder*> found;
      descendants(context.store, parent, deep, found);
      std::size_t offset = 0;
      std::size_t max = found.size();
      if (view) {
        if (!attribute(view, "Offset").empty()) offset = std::stoul(attribute(view, "Offset"));
        if (!attribute(view, "MaxEntriesReturned").empty()) max = std::stoul(attribute(view, "MaxEntriesReturned"));
        if (attribute(view, "BasePoint") == "End")
          offset = found.size() > offset + max ? found.size() - offset - max : 0;
      }
      offset = std::min(offset, found.size());
      std::size_t end = std::min(found.size(), offset + max);
      open_success_message(xml, "FindFolder");
      xml.open("m:RootFolder", {{"IndexedPagingOffset", std::to_string(end)},
                                {"TotalItemsInView", std::to_string(found.size())},
                                {"IncludesLastItemInRange", end == found.size() ? "true" : "false"}});
      xml.open("t:Folders");
      for (std::size_t i = offset; i < end; ++i) write_folder(xml, context, *found[i], shape);
      xml.close().close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "FindFolder", error.code, error.what(), nullptr);
    }
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

ResponseBody handle_sync_folder_hierarchy(RequestContext& context, xmlNodePtr request) {
  Shape shape = parse_folder_shape(first_child(request, kMessagesNs, "FolderShape"));
  XmlWriter xml;
  xml.open("m:SyncFolderHierarchyResponse").open("m:ResponseMessages");
  try {
    StoredFolder* top = nullptr;
    if (xmlNodePtr sync_id = first_child(request, kMessagesNs, "SyncFolderId")) {
      top = &resolve_folder(context, first_child(sync_id, kTypesNs, nullptr));
    } else {
      Mailbox* mailbox = context.store.mailbox(context.mailbox);
      if (mailbox == nullptr) throw ItemError("ErrorNonExistentMailbox", "No mailbox with such guid.");
      top = context.store.folder(mailbox->root);
    }
    Mailbox* owner = context.store.mailbox(top->mailbox);
    std::uint64_t since = 0;
    std::string state_text = node_text(first_child(request, kMessagesNs, "SyncState"));
    if (!state_text.empty()) {
      auto state = decode_sync_state(state_text);
      if (!state || state->folder != top->number || state->reached > owner->hierarchy_seq) {
        throw ItemError("ErrorInvalidSyncStateData", "Synchronization state data is corrupt or otherwise invalid.");
      }
      since = state->reached;
    }
    std::vector<StoredFolder*> all;
    descendants(context.store, *top, true, all);
    open_success_message(xml, "SyncFolderHierarchy");
    xml.leaf("m:SyncState", encode_sync_state({top->number, owner->hierarchy_seq, owner->hierarchy_seq}));
    xml.leaf_bool("m:IncludesLastFolderInRange", true);
    xml.open("m:Changes");
    for (StoredFolder* folder : all) {
      if (folder->hierarchy_seq <= since) continue;
      xml.open("t:Create");
      write_folder(xml, context, *folder, shape);
      xml.close();
    }
    xml.close().close();
  } catch (const ItemError& error) {
    write_error_message(xml, "SyncFolderHierarchy", error.code, error.what(), nullptr);
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

// One response message per t:Folder (any folder element); the new folder's FolderId only, as
// Exchange answers. A DisplayName its parent already has: ErrorFolderExists.
ResponseBody handle_create_folder(RequestContext& context, xmlNodePtr request) {
  XmlWriter xml;
  xml.open("m:CreateFolderResponse").open("m:ResponseMessages");
  StoredFolder* parent = nullptr;
  std::string parent_code, parent_text;
  try {
    xmlNodePtr parent_id = first_child(request, kMessagesNs, "ParentFolderId");
    parent = &resolve_folder(context, first_child(parent_id, kTypesNs, nullptr));
    if (parent->distinguished == "root") throw ItemError("ErrorInvalidParentFolder", "Cannot create a folder here.");
  } catch (const ItemError& error) {
    parent = nullptr;
    parent_code = error.code;
    parent_text = error.what();
  }
  for (xmlNodePtr element : child_elements(first_child(request, kMessagesNs, "Folders"), kTypesNs)) {
    try {
      if (parent == nullptr) throw ItemError(parent_code, parent_text);
      const std::string name = node_text(first_child(element, kTypesNs, "DisplayName"));
      if (name.empty()) throw ItemError("ErrorInvalidArgument", "The folder name is empty.");
      StoredFolder* folder = context.store.add_folder(*parent, name);
      if (folder == nullptr) throw ItemError("ErrorFolderExists", "A folder with the specified name already exists.");
      const std::string folder_class = node_text(first_child(element, kTypesNs, "FolderClass"));
      if (!folder_class.empty()) folder->folder_class = folder_class;
      open_success_message(xml, "CreateFolder");
      xml.open("m:Folders");
      write_folder(xml, context, *folder, Shape{});
      xml.close().close();
    } catch (const ItemError& error) {
      write_error_message(xml, "CreateFolder", error.code, error.what(), nullptr);
    }
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

ResponseBody handle_resolve_names(RequestContext& context, xmlNodePtr request) {
  std::string entry = node_text(first_child(request, kMessagesNs, "UnresolvedEntry"));
  std::string needle = entry.rfind("smtp:", 0) == 0 || entry.rfind("SMTP:", 0) == 0 ? entry.substr(5) : entry;
  std::vector<Mailbox*> matches;
  for (const std::string& address : context.store.mailbox_addresses()) {
    Mailbox* mailbox = context.store.mailbox(address);
    std::string lowered = needle;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (address == lowered || address.rfind(lowered, 0) == 0) matches.push_back(mailbox);
  }
  XmlWriter xml;
  xml.open("m:ResolveNamesResponse").open("m:ResponseMessages");
  if (matches.empty()) {
    write_error_message(xml, "ResolveNames", "ErrorNameResolutionNoResults", "No results were found.", nullptr);
  } else {
    open_success_message(xml, "ResolveNames");
    xml.open("m:ResolutionSet",
             {{"TotalItemsInView", std::to_string(matches.size())}, {"IncludesLastItemInRange", "true"}});
    for (Mailbox* mailbox : matches) {
      xml.open("t:Resolution").open("t:Mailbox");
      xml.leaf("t:Name", mailbox->display_name);
      xml.leaf("t:EmailAddress", mailbox->address);
      xml.leaf("t:RoutingType", "SMTP");
      xml.leaf("t:MailboxType", "Mailbox");
      xml.close().close();
    }
    xml.close().close();
  }
  xml.close().close();
  ResponseBody body;
  body.append_text(xml.take());
  return body;
}

}  // namespace mailprune::ews_test
