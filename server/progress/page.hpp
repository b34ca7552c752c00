// page.hpp: the live progress page as HTML, French or English (pure functions).
//
// The page works without JavaScript: every figure is in the HTML (progress bars are <progress>
// and <meter> elements, the timeline an inline SVG), so no inline style or script is needed and
// the strict Content-Security-Policy holds. progress.js (assets.hpp) then opens the page's event
// stream and, on each snapshot, replaces the sections below by the server's new rendering of them
// and draws the timeline with uPlot.
//
// Only what a ProgressSnapshot holds is shown: totals, team names and their figures. Team names
// and the campaign's name are escaped.
#pragma once

#include <string>

#include "notify/text_format.hpp"
#include "progress/snapshot.hpp"

namespace mailprune::progress {

using notify::Language;

// The parts of the page that live updates replace (each one element's inner HTML).
struct PageSections {
  std::string summary;    // headline: freed against the target, approved and proposed, counts
  std::string teams;      // the leaderboard
  std::string breakdown;  // by action and by file type
  std::string timeline;   // the SVG fallback chart and its caption
  std::string updated;    // "Mis à jour le ..." footer text
};

PageSections render_sections(const ProgressSnapshot& snapshot, Language language);

// Where the page's links point, relative to the server's root.
struct PageLinks {
  std::string events;    // "/progress/<key>/events"
  std::string snapshot;  // "/progress/<key>/snapshot.json"
  std::string self;      // "/progress/<key>" (the language switch adds ?lang=)
};

std::string render_page(const ProgressSnapshot& snapshot, Language language, const PageLinks& links);

// The 404 page: no such progress page (off, unknown, revoked link), in `language`.
std::string render_not_found(Language language);

// The language of a request: ?lang=fr|en first, then Accept-Language (the first fr or en by
// preference weight), French otherwise.
Language choose_language(const std::string& lang_parameter, const std::string& accept_language);

}  // namespace mailprune::progress
