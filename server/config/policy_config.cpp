#include "config/policy_config.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <regex>
#include <set>

#include "config/table_reader.hpp"

namespace mailprune::config {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

// A size key: an integer (bytes) or a string with a unit.
std::optional<std::int64_t> read_size(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.node(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* integer = node->as_integer()) {
    if (integer->get() < 0) {
      reader.error(key, "must not be negative");
      return std::nullopt;
    }
    return integer->get();
  }
  if (const auto* text = node->as_string()) {
    if (auto size = parse_size(text->get())) return size;
    reader.error(
        key, fmt::format("\"{}\" is not a size (bytes as an integer, or \"5MB\", \"1.5 GB\", \"5 MiB\")", text->get()));
    return std::nullopt;
  }
  reader.error(key, "must be a size: bytes as an integer, or a string such as \"5MB\" or \"5 MiB\"");
  return std::nullopt;
}

std::optional<Age> read_age(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.node(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* text = node->as_string()) {
    if (auto age = parse_age(text->get())) return age;
    reader.error(key, fmt::format("\"{}\" is not an age (\"2y\", \"18m\", \"6w\", \"90d\")", text->get()));
    return std::nullopt;
  }
  reader.error(key, "must be an age as a string: \"2y\", \"18m\", \"6w\" or \"90d\"");
  return std::nullopt;
}

std::optional<bool> read_optional_bool(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.node(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* value = node->as_boolean()) return value->get();
  reader.error(key, "must be true or false");
  return std::nullopt;
}

std::vector<std::string> read_globs(TableReader& reader, std::string_view key) {
  auto globs = reader.string_list(key);
  for (const auto& glob : globs) {
    if (trim(glob).empty()) {
      reader.error(key, "holds an empty pattern");
      return {};
    }
  }
  return globs;
}

// A folder name pattern with optional {year} and {month}: no leading or trailing '/', no other
// placeholder, no glob characters.
void check_folder_template(TableReader& reader, std::string_view key, const std::string& folder) {
  if (trim(folder).empty()) {
    reader.error(key, "must not be empty");
    return;
  }
  if (folder.front() == '/' || folder.back() == '/') {
    reader.error(key, "must not start or end with '/' (folders are named from the mailbox's root)");
  }
  if (folder.find_first_of("*?%") != std::string::npos) {
    reader.error(key, "is a folder name, not a pattern: '*', '?' and '%' are not allowed");
  }
  std::string rest = folder;
  for (const char* placeholder : {"{year}", "{month}"}) {
    for (auto at = rest.find(placeholder); at != std::string::npos; at = rest.find(placeholder)) {
      rest.erase(at, std::string(placeholder).size());
    }
  }
  if (rest.find_first_of("{}") != std::string::npos) {
    reader.error(key, "has an unknown placeholder: only {year} and {month} are replaced");
  }
}

std::string two(int n) {
  return fmt::format("{:02d}", n);
}

// A hold date: a TOML date or date-time, or a string in one of the accepted forms.
std::string read_hold_date(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.node(key);
  if (node == nullptr) return "";
  if (const auto* date = node->as_date()) {
    const toml::date& d = date->get();
    return fmt::format("{:04d}-{}-{}", d.year, two(d.month), two(d.day));
  }
  if (const auto* date_time = node->as_date_time()) {
    const toml::date_time& dt = date_time->get();
    std::string text = fmt::format("{:04d}-{}-{}T{}:{}:{}", dt.date.year, two(dt.date.month), two(dt.date.day),
                                   two(dt.time.hour), two(dt.time.minute), two(dt.time.second));
    if (!dt.offset) return text + "Z";  // a local date-time is taken as UTC
    int minutes = dt.offset->minutes;
    return text +
           fmt::format("{}{}:{}", minutes < 0 ? '-' : '+', two(std::abs(minutes) / 60), two(std::abs(minutes) % 60));
  }
  if (const auto* text = node->as_string()) {
    if (is_hold_date(text->get())) return text->get();
    reader.error(key, fmt::format("\"{}\" is not a date (YYYY-MM-DD, or a date-time such as 2021-03-01T00:00:00+01:00)",
                                  text->get()));
    return "";
  }
  reader.error(key, "must be a date (2021-03-01) or a date-time");
  return "";
}

HoldConfig read_hold(TableReader& reader) {
  HoldConfig hold;
  hold.mailbox = trim(reader.string("mailbox", ""));
  hold.folder = trim(reader.string("folder", ""));
  hold.sender = trim(reader.string("sender", ""));
  hold.date_from = read_hold_date(reader, "date_from");
  hold.date_to = read_hold_date(reader, "date_to");
  hold.reason = trim(reader.string("reason", ""));
  if (hold.reason.empty()) reader.error("reason", "is required: say why (it is shown with every skip it causes)");
  if (hold.mailbox.empty() && hold.folder.empty() && hold.sender.empty() && hold.date_from.empty() &&
      hold.date_to.empty()) {
    reader.error("reason", "a [[hold]] needs at least one of mailbox, folder, sender, date_from, date_to");
  }
  if (hold.date_from.size() == 10 && hold.date_to.size() == 10 && hold.date_from > hold.date_to) {
    reader.error("date_to", "is before date_from");
  }
  reader.finish();
  return hold;
}

}  // namespace

std::string Age::to_string() const {
  return fmt::format("{}{}", amount, unit);
}

std::string Age::to_sql_interval() const {
  const char* word = unit == 'y' ? "years" : unit == 'm' ? "months" : unit == 'w' ? "weeks" : "days";
  return fmt::format("{} {}", amount, word);
}

double Age::approximate_days() const {
  double per = unit == 'y' ? 365.25 : unit == 'm' ? 30.44 : unit == 'w' ? 7.0 : 1.0;
  return amount * per;
}

std::optional<Age> parse_age(const std::string& text) {
  static const std::regex pattern(R"(^\s*(\d{1,5})\s*(y|years?|m|months?|w|weeks?|d|days?)\s*$)", std::regex::icase);
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  Age age;
  age.amount = std::stoi(match[1].str());
  age.unit = static_cast<char>(std::tolower(static_cast<unsigned char>(match[2].str()[0])));
  return age;
}

std::optional<std::int64_t> parse_size(const std::string& text) {
  static const std::regex pattern(R"(^\s*(\d{1,19}(?:\.\d{1,9})?)\s*([a-zA-Z]*)\s*$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  std::string number = match[1].str();
  std::string unit = lower(match[2].str());
  long double factor = 0;
  if (unit.empty() || unit == "b") {
    factor = 1;
  } else if (unit == "kb") {
    factor = 1e3L;
  } else if (unit == "mb") {
    factor = 1e6L;
  } else if (unit == "gb") {
    factor = 1e9L;
  } else if (unit == "tb") {
    factor = 1e12L;
  } else if (unit == "kib") {
    factor = 1024.0L;
  } else if (unit == "mib") {
    factor = 1024.0L * 1024;
  } else if (unit == "gib") {
    factor = 1024.0L * 1024 * 1024;
  } else if (unit == "tib") {
    factor = 1024.0L * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  if (factor == 1 && number.find('.') != std::string::npos) return std::nullopt;  // no fraction of a byte
  long double value = std::stold(number) * factor;
  if (value >= 9.2e18L) return std::nullopt;
  return static_cast<std::int64_t>(std::llroundl(value));
}

const char* to_string(RuleAction action) {
  switch (action) {
    case RuleAction::detach:
      return "detach";
    case RuleAction::archive:
      return "archive";
    case RuleAction::remove:
      return "delete";
  }
  return "detach";
}

const char* to_string(Approval approval) {
  switch (approval) {
    case Approval::automatic:
      return "auto";
    case Approval::opt_out:
      return "opt-out";
    case Approval::opt_in:
      return "opt-in";
  }
  return "opt-in";
}

bool is_hold_date(const std::string& text) {
  static const std::regex pattern(
      R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$)");
  return std::regex_match(text, pattern);
}

Rule read_rule(TableReader& reader) {
  Rule rule;
  rule.name = trim(reader.string("name", ""));
  if (rule.name.empty()) reader.error("name", "every [[rule]] needs a name");
  std::string action = reader.string("action", "");
  if (action == "detach") {
    rule.action = RuleAction::detach;
  } else if (action == "archive") {
    rule.action = RuleAction::archive;
  } else if (action == "delete") {
    rule.action = RuleAction::remove;
  } else if (action.empty()) {
    reader.error("action", "is required: \"detach\", \"archive\" or \"delete\"");
  } else {
    reader.error("action", fmt::format("\"{}\" is not one of \"detach\", \"archive\", \"delete\"", action));
  }
  std::string approval = reader.string("approval", "opt-in", {"auto", "opt-out", "opt-in"});
  rule.approval = approval == "auto"      ? Approval::automatic
                  : approval == "opt-out" ? Approval::opt_out
                                          : Approval::opt_in;
  rule.priority = static_cast<int>(reader.integer("priority", 0, -1000000, 1000000));

  rule.min_attachment_size = read_size(reader, "min_attachment_size");
  rule.max_attachment_size = read_size(reader, "max_attachment_size");
  rule.content_types = read_globs(reader, "content_types");
  rule.file_names = read_globs(reader, "file_names");
  rule.duplicates_only = reader.boolean("duplicates_only", false);
  rule.is_inline = read_optional_bool(reader, "inline");

  rule.min_message_size = read_size(reader, "min_message_size");
  rule.older_than = read_age(reader, "older_than");
  rule.newer_than = read_age(reader, "newer_than");
  rule.folders = read_globs(reader, "folders");
  rule.exclude_folders = read_globs(reader, "exclude_folders");
  rule.senders = read_globs(reader, "senders");
  rule.seen = read_optional_bool(reader, "seen");
  rule.min_retention_years = static_cast<int>(reader.integer("min_retention_years", 0, 0, 100));
  rule.archive_folder = reader.string("archive_folder", "");

  if (rule.action != RuleAction::detach && !action.empty()) {
    auto refuse = [&](std::string_view key) {
      reader.error(key, fmt::format("is an attachment condition: only detach rules take it (this rule's action is "
                                    "\"{}\": it moves whole messages)",
                                    action));
    };
    if (rule.min_attachment_size) refuse("min_attachment_size");
    if (rule.max_attachment_size) refuse("max_attachment_size");
    if (!rule.content_types.empty()) refuse("content_types");
    if (!rule.file_names.empty()) refuse("file_names");
    if (rule.duplicates_only) refuse("duplicates_only");
    if (rule.is_inline) refuse("inline");
  }
  if (rule.action == RuleAction::archive) {
    if (!rule.archive_folder.empty()) check_folder_template(reader, "archive_folder", rule.archive_folder);
  } else if (!rule.archive_folder.empty()) {
    reader.error("archive_folder", "only archive rules have a destination folder");
  }
  if (rule.min_attachment_size && rule.max_attachment_size && *rule.min_attachment_size > *rule.max_attachment_size) {
    reader.error("max_attachment_size", "is smaller than min_attachment_size: the rule would match nothing");
  }
  if (rule.older_than && rule.newer_than &&
      rule.older_than->approximate_days() >= rule.newer_than->approximate_days()) {
    reader.error("newer_than",
                 fmt::format("with older_than = \"{}\" the rule matches nothing: newer_than must be the longer age "
                             "(older_than = \"1y\", newer_than = \"3y\": between one and three years old)",
                             rule.older_than->to_string()));
  }
  bool has_condition = rule.min_attachment_size || rule.max_attachment_size || !rule.content_types.empty() ||
                       !rule.file_names.empty() || rule.duplicates_only || rule.is_inline || rule.min_message_size ||
                       rule.older_than || rule.newer_than || !rule.folders.empty() || !rule.exclude_folders.empty() ||
                       !rule.senders.empty() || rule.seen;
  if (!has_condition && !rule.name.empty()) {
    reader.error("name", fmt::format("rule \"{}\" has no condition: it would take every {}; give at least one "
                                     "(min_attachment_size, older_than, folders, ...)",
                                     rule.name, rule.action == RuleAction::detach ? "attachment" : "message"));
  }
  reader.finish();
  return rule;
}

std::vector<Rule> read_rules(TableReader& root) {
  std::vector<Rule> rules;
  std::set<std::string> names;
  for (TableReader& table : root.array_of_tables("rule")) {
    rules.push_back(read_rule(table));
    const std::string& name = rules.back().name;
    if (!name.empty() && !names.insert(name).second) {
      table.error("name", fmt::format("another [[rule]] is already named \"{}\"", name));
    }
  }
  return rules;
}

void read_policy(TableReader& root, PolicyConfig& policy) {
  TableReader reader = root.table("policy");
  policy.grace_days = static_cast<int>(reader.integer("grace_days", 30, 0, 3650));
  policy.quarantine_folder = reader.string("quarantine_folder", "mailprune/Quarantine");
  check_folder_template(reader, "quarantine_folder", policy.quarantine_folder);
  if (policy.quarantine_folder.find('{') != std::string::npos) {
    reader.error("quarantine_folder", "takes no placeholder");
  }
  policy.archive_folder = reader.string("archive_folder", "Archives/{year}");
  check_folder_template(reader, "archive_folder", policy.archive_folder);
  policy.archive_frees_space = reader.boolean("archive_frees_space", false);
  policy.protect_flagged = reader.boolean("protect_flagged", true);
  policy.protect_signed = reader.boolean("protect_signed", true);
  policy.protect_encrypted = reader.boolean("protect_encrypted", true);
  policy.protect_calendar = reader.boolean("protect_calendar", true);
  policy.protect_tnef = reader.boolean("protect_tnef", true);
  reader.finish();

  policy.rules = read_rules(root);
  for (TableReader& hold : root.array_of_tables("hold")) policy.holds.push_back(read_hold(hold));
}

std::string render_policy_config(const PolicyConfig& policy) {
  auto flag = [](bool b) { return b ? "true" : "false"; };
  std::string out = "\n[policy]\n";
  out += fmt::format("grace_days = {}\nquarantine_folder = {}\narchive_folder = {}\narchive_frees_space = {}\n",
                     policy.grace_days, toml_quote(policy.quarantine_folder), toml_quote(policy.archive_folder),
                     flag(policy.archive_frees_space));
  out += fmt::format(
      "protect_flagged = {}\nprotect_signed = {}\nprotect_encrypted = {}\nprotect_calendar = {}\nprotect_tnef = {}\n",
      flag(policy.protect_flagged), flag(policy.protect_signed), flag(policy.protect_encrypted),
      flag(policy.protect_calendar), flag(policy.protect_tnef));
  if (policy.rules.empty()) out += "# no [[rule]]: `mailprune plan` has nothing to propose\n";
  for (const Rule& rule : policy.rules) {
    out += "\n[[rule]]\n";
    out += fmt::format("name = {}\naction = \"{}\"\napproval = \"{}\"\npriority = {}\n", toml_quote(rule.name),
                       to_string(rule.action), to_string(rule.approval), rule.priority);
    auto size = [&](const char* key, const std::optional<std::int64_t>& value) {
      if (value) out += fmt::format("{} = {}\n", key, *value);
    };
    auto list = [&](const char* key, const std::vector<std::string>& values) {
      if (!values.empty()) out += fmt::format("{} = {}\n", key, toml_list(values));
    };
    size("min_attachment_size", rule.min_attachment_size);
    size("max_attachment_size", rule.max_attachment_size);
    size("min_message_size", rule.min_message_size);
    if (rule.older_than) out += fmt::format("older_than = \"{}\"\n", rule.older_than->to_string());
    if (rule.newer_than) out += fmt::format("newer_than = \"{}\"\n", rule.newer_than->to_string());
    list("folders", rule.folders);
    list("exclude_folders", rule.exclude_folders);
    list("content_types", rule.content_types);
    list("file_names", rule.file_names);
    list("senders", rule.senders);
    if (rule.duplicates_only) out += "duplicates_only = true\n";
    if (rule.seen) out += fmt::format("seen = {}\n", flag(*rule.seen));
    if (rule.is_inline) out += fmt::format("inline = {}\n", flag(*rule.is_inline));
    if (rule.min_retention_years > 0) out += fmt::format("min_retention_years = {}\n", rule.min_retention_years);
    if (!rule.archive_folder.empty()) out += fmt::format("archive_folder = {}\n", toml_quote(rule.archive_folder));
  }
  for (const HoldConfig& hold : policy.holds) {
    out += "\n[[hold]]\n";
    if (!hold.mailbox.empty()) out += fmt::format("mailbox = {}\n", toml_quote(hold.mailbox));
    if (!hold.folder.empty()) out += fmt::format("folder = {}\n", toml_quote(hold.folder));
    if (!hold.sender.empty()) out += fmt::format("sender = {}\n", toml_quote(hold.sender));
    if (!hold.date_from.empty()) out += fmt::format("date_from = {}\n", toml_quote(hold.date_from));
    if (!hold.date_to.empty()) out += fmt::format("date_to = {}\n", toml_quote(hold.date_to));
    out += fmt::format("reason = {}\n", toml_quote(hold.reason));
  }
  return out;
}

}  // namespace mailprune::config
