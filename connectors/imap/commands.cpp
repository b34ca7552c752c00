// Builders for the mailbox and message commands of the crawl and the apply step.
#include <algorithm>

#include "imap/command.hpp"

namespace mailprune::imap {
namespace {

void write_list(CommandWriter& writer, const std::vector<std::string>& atoms) {
  writer.raw("(");
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    if (i > 0) writer.sp();
    writer.raw(atoms[i]);
  }
  writer.raw(")");
}

void write_flags_and_date(CommandWriter& writer, const std::vector<std::string>& flags,
                          const std::optional<std::string>& internal_date) {
  if (!flags.empty()) {
    writer.sp();
    write_list(writer, flags);
  }
  if (internal_date) writer.sp().raw("\"" + *internal_date + "\"");
}

}  // namespace

Command list(const CommandOptions& options, std::string tag, std::string_view reference, std::string_view pattern,
             const ListOptions& list_options) {
  CommandWriter writer(options, std::move(tag), "LIST");
  if (list_options.select_special_use) writer.raw(" (SPECIAL-USE)");
  writer.sp().string(reference).sp().string(pattern);
  std::vector<std::string> returns;
  if (list_options.return_special_use) returns.emplace_back("SPECIAL-USE");
  if (list_options.return_children) returns.emplace_back("CHILDREN");
  if (!list_options.return_status.empty()) {
    std::string status = "STATUS (";
    for (std::size_t i = 0; i < list_options.return_status.size(); ++i) {
      if (i > 0) status += ' ';
      status += list_options.return_status[i];
    }
    returns.push_back(status + ")");
  }
  if (!returns.empty()) {
    writer.raw(" RETURN ");
    write_list(writer, returns);
  }
  return writer.finish();
}

Command status(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const std::vector<std::string>& items) {
  CommandWriter writer(options, std::move(tag), "STATUS");
  writer.sp().mailbox(mailbox).sp();
  write_list(writer, items);
  return writer.finish();
}

Command select(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const SelectOptions& select_options) {
  CommandWriter writer(options, std::move(tag), select_options.read_only ? "EXAMINE" : "SELECT");
  writer.sp().mailbox(mailbox);
  if (select_options.qresync) {
    const QresyncParams& q = *select_options.qresync;
    std::string params = " (QRESYNC (" + std::to_string(q.uidvalidity) + " " + std::to_string(q.modseq);
    if (!q.known_uids.empty()) params += " " + q.known_uids;
    writer.raw(params + "))");
  } else if (select_options.condstore) {
    writer.raw(" (CONDSTORE)");
  }
  return writer.finish();
}

Command uid_fetch(std::string tag, std::string_view uid_set, const std::vector<std::string>& items,
                  const FetchModifiers& modifiers) {
  const CommandOptions options;
  CommandWriter writer(options, std::move(tag), "UID FETCH");
  writer.sp().raw(uid_set).sp();
  write_list(writer, items);
  if (modifiers.changed_since) {
    writer.raw(" (CHANGEDSINCE " + std::to_string(*modifiers.changed_since) +
               (modifiers.vanished ? " VANISHED)" : ")"));
  }
  return writer.finish();
}

SearchArg search_atom(std::string text) {
  return {std::move(text), false};
}
SearchArg search_string(std::string text) {
  return {std::move(text), true};
}

Command uid_search(const CommandOptions& options, std::string tag, const std::vector<SearchArg>& criteria,
                   const SearchReturn& returns) {
  CommandWriter writer(options, std::move(tag), "UID SEARCH");
  std::vector<std::string> options_list;
  if (returns.min) options_list.emplace_back("MIN");
  if (returns.max) options_list.emplace_back("MAX");
  if (returns.count) options_list.emplace_back("COUNT");
  if (returns.all) options_list.emplace_back("ALL");
  if (!options_list.empty()) {
    writer.raw(" RETURN ");
    write_list(writer, options_list);
  }
  const bool non_ascii = std::any_of(criteria.begin(), criteria.end(), [](const SearchArg& arg) {
    return arg.is_string &&
           std::any_of(arg.text.begin(), arg.text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  });
  if (non_ascii && !options.utf8_accept) writer.raw(" CHARSET UTF-8");
  for (const SearchArg& arg : criteria) {
    writer.sp();
    if (arg.is_string) {
      writer.string(arg.text);
    } else {
      writer.raw(arg.text);
    }
  }
  return writer.finish();
}

Command uid_store(std::string tag, std::string_view uid_set, std::string_view action,
                  const std::vector<std::string>& flags, std::optional<std::uint64_t> unchanged_since) {
  const CommandOptions options;
  CommandWriter writer(options, std::move(tag), "UID STORE");
  writer.sp().raw(uid_set);
  if (unchanged_since) writer.raw(" (UNCHANGEDSINCE " + std::to_string(*unchanged_since) + ")");
  writer.sp().raw(action).sp();
  write_list(writer, flags);
  return writer.finish();
}

Command uid_expunge(std::string tag, std::string_view uid_set) {
  const CommandOptions options;
  CommandWriter writer(options, std::move(tag), "UID EXPUNGE");
  return writer.sp().raw(uid_set).finish();
}

Command uid_move(const CommandOptions& options, std::string tag, std::string_view uid_set, const Mailbox& destination) {
  CommandWriter writer(options, std::move(tag), "UID MOVE");
  return writer.sp().raw(uid_set).sp().mailbox(destination).finish();
}

Command uid_copy(const CommandOptions& options, std::string tag, std::string_view uid_set, const Mailbox& destination) {
  CommandWriter writer(options, std::move(tag), "UID COPY");
  return writer.sp().raw(uid_set).sp().mailbox(destination).finish();
}

Command append(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
               const std::vector<std::string>& flags, const std::optional<std::string>& internal_date,
               std::string_view message) {
  CommandWriter writer(options, std::move(tag), "APPEND");
  writer.sp().mailbox(mailbox);
  write_flags_and_date(writer, flags, internal_date);
  writer.sp().literal(message);
  return writer.finish();
}

Command append_catenate(const CommandOptions& options, std::string tag, const Mailbox& mailbox,
                        const std::vector<std::string>& flags, const std::optional<std::string>& internal_date,
                        const std::vector<CatenatePart>& parts) {
  CommandWriter writer(options, std::move(tag), "APPEND");
  writer.sp().mailbox(mailbox);
  write_flags_and_date(writer, flags, internal_date);
  writer.raw(" CATENATE (");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) writer.sp();
    if (parts[i].is_url) {
      writer.raw("URL ").astring(parts[i].data);
    } else {
      // RFC 4469: TEXT is always a literal.
      writer.raw("TEXT ").literal(parts[i].data);
    }
  }
  writer.raw(")");
  return writer.finish();
}

Command getquotaroot(const CommandOptions& options, std::string tag, const Mailbox& mailbox) {
  CommandWriter writer(options, std::move(tag), "GETQUOTAROOT");
  return writer.sp().mailbox(mailbox).finish();
}

}  // namespace mailprune::imap
