// render_support.hpp: the pieces the campaign emails (notification.cpp, admin_progress.cpp) are
// assembled from: an accessible HTML document shell, paragraphs, lists, tables and links with
// every piece of text escaped, and the few phrases the emails share. Internal to mailprune_notify.
//
// Every function takes plain UTF-8 text and escapes it itself: callers never pass markup, except
// to html_document() (the body it wraps) and html_list() items made with html_escape.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "notify/text_format.hpp"

namespace mailprune::notify::render {

// <!DOCTYPE html>, <html lang>, <meta charset>, viewport, <title>, and a <body> with inline
// styles (readable width, dark text on white, system fonts) around `body_html`.
std::string html_document(Language language, std::string_view title, std::string_view body_html);
std::string html_paragraph(std::string_view text);
// A list of plain-text items.
std::string html_list(const std::vector<std::string>& items);
// A paragraph holding one link, shown as a button, whose label says where it goes.
std::string html_link(std::string_view url, std::string_view label);

// A table with a caption, column headers (<th scope="col">) and, when `row_headers`, each row's
// first cell as <th scope="row">. Cells are plain text; columns listed in `numeric_columns` are
// right-aligned.
struct Table {
  std::string caption;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> numeric_columns;
  bool row_headers = false;
};
std::string html_table(const Table& table);

// Plain-text list items: "- item" lines.
std::string text_list(const std::vector<std::string>& items);

// « name » (French quotes, no-break spaces inside) / “name”.
std::string quoted(std::string_view name, Language language);
// "Bonjour Alice Martin," / "Bonjour," — "Hello Alice Martin," / "Hello,".
std::string greeting(std::string_view name, Language language);
// " : " in French (a no-break space before the colon), ": " in English.
std::string_view colon(Language language);

}  // namespace mailprune::notify::render
