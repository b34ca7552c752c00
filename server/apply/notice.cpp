#include "apply/notice.hpp"

#include <fmt/format.h>

#include <ctime>

#include "text/html.hpp"

namespace mailprune::apply {
namespace {

using text::html_escape;

bool french(const std::string& language) {
  return language == "fr";
}

std::string day_of(std::int64_t unix_seconds, bool fr) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  if (fr) return fmt::format("{:02}/{:02}/{:04}", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string shown_name(const NoticeFacts& facts, bool fr) {
  if (!facts.file_name.empty()) return facts.file_name;
  return fr ? "sans nom" : "unnamed";
}

}  // namespace

std::string notice_size(std::uint64_t bytes, const std::string& language) {
  const bool fr = french(language);
  if (bytes < 1000) return fmt::format("{} {}", bytes, fr ? "octets" : "bytes");
  static const char* const kFr[] = {"ko", "Mo", "Go", "To"};
  static const char* const kEn[] = {"kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 999.95 && unit < 3) {
    value /= 1000.0;
    ++unit;
  }
  std::string number = fmt::format("{:.1f}", value);
  if (fr) {
    for (char& c : number) {
      if (c == '.') c = ',';
    }
  }
  return number + " " + (fr ? kFr[unit] : kEn[unit]);
}

std::string notice_text(const NoticeFacts& facts) {
  const bool fr = french(facts.language);
  const std::string size = notice_size(facts.size, facts.language);
  const std::string day = day_of(facts.archived_at, fr);
  if (fr) {
    return fmt::format(
        "La pièce jointe « {} » ({}) a été archivée le {} pour libérer de la place dans votre boîte aux lettres.\r\n"
        "Elle reste disponible à cette adresse :\r\n{}\r\n",
        shown_name(facts, fr), size, day, facts.link);
  }
  return fmt::format(
      "The attachment \"{}\" ({}) was archived on {} to free space in your mailbox.\r\n"
      "It is still available at:\r\n{}\r\n",
      shown_name(facts, fr), size, day, facts.link);
}

std::string notice_html(const NoticeFacts& facts) {
  const bool fr = french(facts.language);
  const std::string name = html_escape(shown_name(facts, fr));
  const std::string size = html_escape(notice_size(facts.size, facts.language));
  const std::string day = day_of(facts.archived_at, fr);
  const std::string link = html_escape(facts.link);
  if (fr) {
    return fmt::format(
        "<p>La pièce jointe <b>{}</b> ({}) a été archivée le {} pour libérer de la place dans votre boîte aux "
        "lettres. Elle reste disponible ici : <a href=\"{}\">{}</a></p>",
        name, size, day, link, name);
  }
  return fmt::format(
      "<p>The attachment <b>{}</b> ({}) was archived on {} to free space in your mailbox. It is still available "
      "here: <a href=\"{}\">{}</a></p>",
      name, size, day, link, name);
}

}  // namespace mailprune::apply
