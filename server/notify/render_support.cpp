#include "notify/render_support.hpp"

#include <algorithm>

namespace mailprune::notify::render {

std::string html_document(Language language, std::string_view title, std::string_view body_html) {
  std::string out;
  out += "<!DOCTYPE html>\n";
  out += std::string("<html lang=\"") + language_code(language) + "\">\n";
  out += "<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + html_escape(one_line(title)) + "</title>\n</head>\n";
  // #1a1a1a on #ffffff: contrast 17:1; links #0b4f9c on white: 8:1 (WCAG AAA for text).
  out +=
      "<body style=\"margin:0;padding:16px;background:#ffffff;color:#1a1a1a;"
      "font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5\">\n";
  out += "<div style=\"max-width:42em;margin:0 auto\">\n";
  out += body_html;
  out += "</div>\n</body>\n</html>\n";
  return out;
}

std::string html_paragraph(std::string_view text) {
  return "<p>" + html_escape(text) + "</p>\n";
}

std::string html_list(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = "<ul>\n";
  for (const auto& item : items) out += "<li>" + html_escape(item) + "</li>\n";
  return out + "</ul>\n";
}

std::string html_link(std::string_view url, std::string_view label) {
  return "<p><a href=\"" + html_escape(one_line(url)) +
         "\" style=\"display:inline-block;padding:10px 18px;background:#0b4f9c;color:#ffffff;"
         "text-decoration:underline;border-radius:4px;font-weight:bold\">" +
         html_escape(label) + "</a></p>\n";
}

std::string html_table(const Table& table) {
  auto numeric = [&](std::size_t column) {
    return std::find(table.numeric_columns.begin(), table.numeric_columns.end(), column) != table.numeric_columns.end();
  };
  const std::string cell_style = "padding:4px 8px;border-bottom:1px solid #c8c8c8;vertical-align:top";
  auto style = [&](std::size_t column) {
    return cell_style + (numeric(column) ? ";text-align:right;white-space:nowrap" : ";text-align:left");
  };
  std::string out = "<table style=\"border-collapse:collapse;width:100%;margin:8px 0 16px\">\n";
  out += "<caption style=\"text-align:left;font-weight:bold;padding:4px 0\">" + html_escape(table.caption) +
         "</caption>\n<thead>\n<tr>";
  for (std::size_t c = 0; c < table.headers.size(); ++c) {
    out += "<th scope=\"col\" style=\"" + style(c) + "\">" + html_escape(table.headers[c]) + "</th>";
  }
  out += "</tr>\n</thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c == 0 && table.row_headers) {
        out += "<th scope=\"row\" style=\"" + style(c) + ";font-weight:normal\">" + html_escape(row[c]) + "</th>";
      } else {
        out += "<td style=\"" + style(c) + "\">" + html_escape(row[c]) + "</td>";
      }
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::string text_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += "- " + item + "\n";
  return out;
}

std::string quoted(std::string_view name, Language language) {
  const std::string clean = one_line(name);
  if (language == Language::fr) return "«\u00a0" + clean + "\u00a0»";
  return "\u201c" + clean + "\u201d";
}

std::string greeting(std::string_view name, Language language) {
  const std::string clean = one_line(name);
  const std::string hello = language == Language::fr ? "Bonjour" : "Hello";
  return clean.empty() ? hello + "," : hello + " " + clean + ",";
}

std::string_view colon(Language language) {
  return language == Language::fr ? "\u00a0: " : ": ";
}

}  // namespace mailprune::notify::render
