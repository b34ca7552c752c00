// exposition.hpp: the Prometheus text exposition format, version 0.0.4.
//
// For each family:
//   # HELP <name> <help, with \ as \\ and newline as \n>
//   # TYPE <name> counter|gauge|histogram
//   <sample name>{<label>="<value, with \ as \\, " as \", newline as \n>",...} <value>
// Values are written as the shortest decimal that reads back to the same double ("42", "0.25",
// "1e+21"), or "+Inf", "-Inf", "NaN". Histograms have one `_bucket` sample per bound with `le`
// as the last label (cumulative counts, ending with le="+Inf"), then `_sum` and `_count`. Each
// family's lines are together, HELP and TYPE first; families in the order given. Lines end with
// "\n". Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.hpp"

namespace mailprune::metrics {

// The Content-Type of the format.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_text(const std::vector<FamilySnapshot>& families);

std::string format_value(double value);
std::string escape_help(std::string_view text);
std::string escape_label_value(std::string_view text);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);

}  // namespace mailprune::metrics
