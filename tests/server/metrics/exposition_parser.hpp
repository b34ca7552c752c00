// A tiny, strict reader of the Prometheus text format 0.0.4, written from the format's description
// independently of server/metrics, so tests check what was rendered by reading it back: every line
// a HELP, a TYPE or a sample; HELP and TYPE once per family and before its samples; sample names
// belonging to the family being read (with _bucket/_sum/_count for histograms); label values with
// their escapes undone; values as numbers. Throws std::runtime_error naming the line otherwise.
#pragma once

#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mailprune::metrics::testing {

struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;

  std::string label(const std::string& key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) return v;
    }
    return "<absent>";
  }
};

struct ParsedFamily {
  std::string help;
  std::string type;
  std::vector<ParsedSample> samples;
};

struct Parsed {
  std::vector<std::string> order;  // family names as they came
  std::map<std::string, ParsedFamily> families;

  // The value of the sample `name` with exactly these labels; throws when absent.
  double value(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels = {}) const {
    for (const auto& [family_name, family] : families) {
      for (const auto& sample : family.samples) {
        if (sample.name == name && sample.labels == labels) return sample.value;
      }
    }
    throw std::runtime_error("no sample " + name);
  }
  bool has(const std::string& name) const {
    for (const auto& [family_name, family] : families) {
      for (const auto& sample : family.samples) {
        if (sample.name == name) return true;
      }
    }
    return false;
  }
};

inline bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

inline std::string unescape(const std::string& text, bool quotes, const std::string& line) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) throw std::runtime_error("dangling backslash: " + line);
    if (text[i] == 'n') {
      out += '\n';
    } else if (text[i] == '\\') {
      out += '\\';
    } else if (quotes && text[i] == '"') {
      out += '"';
    } else {
      throw std::runtime_error("unknown escape: " + line);
    }
  }
  return out;
}

inline double parse_number(const std::string& text, const std::string& line) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) throw std::runtime_error("bad value: " + line);
  return value;
}

inline Parsed parse_exposition(const std::string& text) {
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("the text does not end with a newline");
  Parsed parsed;
  std::string current;  // the family whose TYPE was read last
  std::set<std::string> typed;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      bool help = line[2] == 'H';
      std::string rest = line.substr(7);
      std::size_t space = rest.find(' ');
      if (space == std::string::npos) throw std::runtime_error("no text: " + line);
      std::string name = rest.substr(0, space);
      ParsedFamily& family = parsed.families[name];
      if (!family.samples.empty()) throw std::runtime_error("HELP/TYPE after samples: " + line);
      if (help) {
        if (!family.help.empty() || typed.count(name)) throw std::runtime_error("HELP twice or after TYPE: " + line);
        family.help = unescape(rest.substr(space + 1), false, line);
        parsed.order.push_back(name);
      } else {
        if (!typed.insert(name).second) throw std::runtime_error("TYPE twice: " + line);
        family.type = rest.substr(space + 1);
        if (family.type != "counter" && family.type != "gauge" && family.type != "histogram") {
          throw std::runtime_error("unknown type: " + line);
        }
        current = name;
      }
      continue;
    }
    if (line.empty() || line[0] == '#') throw std::runtime_error("unexpected line: " + line);
    ParsedSample sample;
    std::size_t i = 0;
    while (i < line.size() && is_name_char(line[i], i == 0)) ++i;
    sample.name = line.substr(0, i);
    if (sample.name.empty()) throw std::runtime_error("no name: " + line);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t equals = line.find("=\"", i);
        if (equals == std::string::npos) throw std::runtime_error("bad label: " + line);
        std::string key = line.substr(i, equals - i);
        std::size_t j = equals + 2;
        std::string raw;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\' && j + 1 < line.size()) raw += line[j++];
          raw += line[j++];
        }
        if (j >= line.size()) throw std::runtime_error("unterminated label value: " + line);
        sample.labels.emplace_back(key, unescape(raw, true, line));
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) throw std::runtime_error("unterminated labels: " + line);
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') throw std::runtime_error("no value: " + line);
    sample.value = parse_number(line.substr(i + 1), line);
    if (current.empty()) throw std::runtime_error("sample before any TYPE: " + line);
    const ParsedFamily& family = parsed.families[current];
    bool belongs = sample.name == current;
    if (family.type == "histogram") {
      belongs =
          sample.name == current + "_bucket" || sample.name == current + "_sum" || sample.name == current + "_count";
    }
    if (!belongs) throw std::runtime_error("sample outside its family " + current + ": " + line);
    parsed.families[current].samples.push_back(std::move(sample));
  }
  return parsed;
}

}  // namespace mailprune::metrics::testing
