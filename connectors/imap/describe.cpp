#include "imap/describe.hpp"

#include <type_traits>

namespace mailprune::imap {
namespace {

template <class T>
void put(std::string& out, const char* name, const std::optional<T>& value) {
  if (!value) return;
  out += ' ';
  out += name;
  out += '=';
  if constexpr (std::is_same_v<T, std::string>) {
    out += '"' + *value + '"';
  } else if constexpr (std::is_same_v<T, char>) {
    out += *value;
  } else {
    out += std::to_string(*value);
  }
}

void put_list(std::string& out, const char* name, const std::vector<std::string>& items) {
  out += ' ';
  out += name;
  out += "=[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  out += ']';
}

void put_set(std::string& out, const char* name, const SequenceSet& set) {
  out += ' ';
  out += name;
  out += '=' + format_sequence_set(set);
}

std::string addresses(const std::vector<Address>& list) {
  std::string out = "[";
  for (const Address& a : list) {
    out += "(" + a.name.value_or("NIL") + "|" + a.adl.value_or("NIL") + "|" + a.mailbox.value_or("NIL") + "|" +
           a.host.value_or("NIL") + ")";
  }
  return out + "]";
}

std::string params(const std::vector<mime::Parameter>& list) {
  std::string out = "{";
  for (const auto& p : list) out += p.name + "=" + p.value + ";";
  return out + "}";
}

std::string section(const SectionData& s) {
  std::string out = "[" + s.section + "]";
  if (s.origin) out += "<" + std::to_string(*s.origin) + ">";
  if (s.nil) return out + "NIL";
  out += "size=" + std::to_string(s.size);
  if (s.literal_index) out += " lit#" + std::to_string(*s.literal_index);
  if (s.streamed) return out + " streamed";
  return out + " \"" + s.data + "\"";
}

const char* condition_name(Condition c) {
  switch (c) {
    case Condition::ok:
      return "OK";
    case Condition::no:
      return "NO";
    case Condition::bad:
      return "BAD";
    case Condition::bye:
      return "BYE";
    case Condition::preauth:
      return "PREAUTH";
  }
  return "?";
}

struct Describer {
  std::string out;

  void operator()(const StatusResponse& r) {
    out = std::string("status tag=") + (r.tag.empty() ? "*" : r.tag) + " " + condition_name(r.condition);
    if (r.code) {
      out += " code=" + r.code->name + " raw=\"" + r.code->raw + "\"";
      if (!r.code->list.empty()) put_list(out, "list", r.code->list);
      put(out, "number", r.code->number);
      if (!r.code->source_uids.empty()) put_set(out, "source", r.code->source_uids);
      if (!r.code->uids.empty()) put_set(out, "uids", r.code->uids);
    }
    out += " text=\"" + r.text + "\"";
  }
  void operator()(const ContinuationRequest& r) { out = "continuation \"" + r.text + "\""; }
  void operator()(const CapabilityData& r) {
    out = "capability";
    put_list(out, "caps", r.capabilities);
  }
  void operator()(const EnabledData& r) {
    out = "enabled";
    put_list(out, "caps", r.capabilities);
  }
  void operator()(const ListData& r) {
    out = r.lsub ? "lsub" : "list";
    put_list(out, "attributes", r.attributes);
    put(out, "delimiter", r.delimiter);
    out += " mailbox=\"" + r.mailbox + "\"";
    if (!r.childinfo.empty()) put_list(out, "childinfo", r.childinfo);
    put(out, "oldname", r.old_name);
    if (!r.extended_tags.empty()) put_list(out, "extended", r.extended_tags);
  }
  void operator()(const StatusData& r) {
    out = "status-data mailbox=\"" + r.mailbox + "\"";
    put(out, "messages", r.messages);
    put(out, "recent", r.recent);
    put(out, "uidnext", r.uidnext);
    put(out, "uidvalidity", r.uidvalidity);
    put(out, "unseen", r.unseen);
    put(out, "highestmodseq", r.highestmodseq);
    put(out, "size", r.size);
    put(out, "deleted", r.deleted);
    put(out, "deleted_storage", r.deleted_storage);
    put(out, "appendlimit", r.appendlimit);
    put(out, "mailboxid", r.mailboxid);
  }
  void operator()(const ExistsData& r) { out = "exists " + std::to_string(r.count); }
  void operator()(const RecentData& r) { out = "recent " + std::to_string(r.count); }
  void operator()(const ExpungeData& r) { out = "expunge " + std::to_string(r.seq); }
  void operator()(const FlagsData& r) {
    out = "flags";
    put_list(out, "flags", r.flags);
  }
  void operator()(const SearchData& r) {
    out = "search";
    for (auto n : r.numbers) out += " " + std::to_string(n);
    put(out, "modseq", r.modseq);
  }
  void operator()(const EsearchData& r) {
    out = "esearch tag=\"" + r.correlator + "\"" + (r.uid ? " uid" : "");
    put(out, "min", r.min);
    put(out, "max", r.max);
    put(out, "count", r.count);
    if (!r.all.empty()) put_set(out, "all", r.all);
    put(out, "modseq", r.modseq);
  }
  void operator()(const VanishedData& r) {
    out = std::string("vanished") + (r.earlier ? " earlier" : "");
    put_set(out, "uids", r.uids);
  }
  void operator()(const QuotaData& r) {
    out = "quota root=\"" + r.root + "\"";
    for (const auto& q : r.resources) {
      out += " " + q.name + "=" + std::to_string(q.usage) + "/" + std::to_string(q.limit);
    }
  }
  void operator()(const QuotaRootData& r) {
    out = "quotaroot mailbox=\"" + r.mailbox + "\"";
    put_list(out, "roots", r.roots);
  }
  void operator()(const IdData& r) {
    out = "id";
    for (const auto& [k, v] : r.fields) out += " " + k + "=" + v.value_or("NIL");
  }
  void operator()(const NamespaceData& r) {
    out = "namespace";
    for (const auto* list : {&r.personal, &r.other_users, &r.shared}) {
      out += " [";
      for (const auto& n : *list)
        out += "(\"" + n.prefix + "\" " + (n.delimiter ? std::string(1, *n.delimiter) : "NIL") + ")";
      out += "]";
    }
  }
  void operator()(const FetchMessage& r) {
    out = "fetch seq=" + std::to_string(r.seq);
    put(out, "uid", r.uid);
    put(out, "rfc822_size", r.rfc822_size);
    put(out, "internal_date", r.internal_date);
    put(out, "internal_date_raw", r.internal_date_raw);
    if (r.flags) put_list(out, "flags", *r.flags);
    put(out, "modseq", r.modseq);
    if (r.envelope) out += " envelope=" + describe(*r.envelope);
    if (r.body_structure) {
      out += std::string(r.body_structure_extended ? " bodystructure=" : " body=") + describe(*r.body_structure);
    }
    if (r.body_structure_error) out += " body_error=" + describe(*r.body_structure_error);
    for (const auto& [s, n] : r.binary_sizes) out += " binary.size[" + s + "]=" + std::to_string(n);
    for (const auto& s : r.body_sections) out += " body" + section(s);
    for (const auto& s : r.binary_sections) out += " binary" + section(s);
    put(out, "emailid", r.email_id);
    put(out, "threadid", r.thread_id);
    put(out, "x_guid", r.x_guid);
    put(out, "gm_msgid", r.gm_msgid);
    put(out, "gm_thrid", r.gm_thrid);
    if (r.gm_labels) put_list(out, "gm_labels", *r.gm_labels);
    if (!r.skipped_items.empty()) put_list(out, "skipped", r.skipped_items);
  }
  void operator()(const UnknownData& r) { out = "unknown name=" + r.name + " raw=\"" + r.raw + "\""; }
};

}  // namespace

std::string describe(const Response& response) {
  Describer describer;
  std::visit(describer, response);
  return describer.out;
}

std::string describe(const mime::MimePart& part) {
  std::string out = "(" + part.section + " " + part.type + "/" + part.subtype + " " + params(part.content_type_params);
  if (!part.disposition.empty() || !part.disposition_params.empty()) {
    out += " dsp=" + part.disposition + params(part.disposition_params);
  }
  if (!part.content_id.empty()) out += " id=" + part.content_id;
  if (!part.transfer_encoding.empty()) out += " enc=" + part.transfer_encoding;
  if (part.encoded_size) out += " octets=" + std::to_string(*part.encoded_size);
  if (part.decoded_size) out += " decoded=" + std::to_string(*part.decoded_size);
  for (const auto& child : part.children) out += " " + describe(child);
  return out + ")";
}

std::string describe(const Envelope& e) {
  std::string out = "(date=" + e.date.value_or("NIL") + " subject=" + e.subject.value_or("NIL");
  out += " from=" + addresses(e.from) + " sender=" + addresses(e.sender) + " reply_to=" + addresses(e.reply_to) +
         " to=" + addresses(e.to) + " cc=" + addresses(e.cc) + " bcc=" + addresses(e.bcc);
  out += " in_reply_to=" + e.in_reply_to.value_or("NIL") + " message_id=" + e.message_id.value_or("NIL");
  return out + ")";
}

std::string describe(const ParseError& error) {
  return "error \"" + error.message + "\" at " + std::to_string(error.offset);
}

}  // namespace mailprune::imap
