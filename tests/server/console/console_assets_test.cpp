// The console's embedded files: what index.html and the modules refer to is compiled in and
// served with the right type, under the console's CSP, with ETag revalidation; the page holds no
// inline script or style (the CSP would block it); the French and English dictionaries have the
// same keys and every key the code uses literally.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "console/console_routes.hpp"
#include "http/router.hpp"

namespace mailprune::console {
namespace {

const ConsoleAsset* asset(std::string_view path) {
  for (const auto& a : console_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

std::string text_of(std::string_view path) {
  const auto* a = asset(path);
  return a == nullptr ? std::string() : std::string(a->body);
}

std::string expected_type(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
  };
  auto dot = path.rfind('.');
  auto found = types.find(path.substr(dot));
  return found == types.end() ? "" : found->second;
}

http::Response get(const http::Router& router, const std::string& path, const std::string& if_none_match = "") {
  http::Request request;
  request.method = "GET";
  request.path = path;
  request.target = path;
  if (!if_none_match.empty()) request.headers.set("If-None-Match", if_none_match);
  return router.dispatch(request);
}

// Every local file a text asset refers to: src/href attributes of HTML, imports of modules.
std::set<std::string> references(const std::string& path, const std::string& body) {
  std::set<std::string> found;
  std::regex pattern = path.ends_with(".html") ? std::regex(R"re((?:src|href)="([^"#:]+)")re")
                                               : std::regex(R"re((?:from|import)\s*'\./([^']+)')re");
  for (std::sregex_iterator it(body.begin(), body.end(), pattern), end; it != end; ++it) {
    std::string target = (*it)[1].str();
    if (target.rfind("./", 0) == 0) target = target.substr(2);
    found.insert(target);
  }
  return found;
}

TEST(ConsoleAssets, EverythingIndexRefersToIsEmbeddedAndServedWithItsType) {
  http::Router router;
  add_console_routes(router);
  ASSERT_NE(asset("index.html"), nullptr);

  // Walk from index.html through the module imports.
  std::set<std::string> seen;
  std::vector<std::string> queue{"index.html"};
  while (!queue.empty()) {
    std::string path = queue.back();
    queue.pop_back();
    if (!seen.insert(path).second) continue;
    ASSERT_NE(asset(path), nullptr) << path << " is referred to but not embedded (server/console/CMakeLists.txt)";
    http::Response response = get(router, "/console/" + path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.headers.get("Content-Type").value_or(""), expected_type(path)) << path;
    EXPECT_EQ(response.body, text_of(path)) << path;
    EXPECT_FALSE(response.body.empty()) << path;
    EXPECT_EQ(response.headers.get("Content-Security-Policy").value_or(""), kConsoleCsp) << path;
    for (const auto& next : references(path, response.body)) queue.push_back(next);
  }
  EXPECT_TRUE(seen.contains("app.js"));
  EXPECT_TRUE(seen.contains("app.css"));
  EXPECT_TRUE(seen.contains("i18n.js"));
  // Nothing is embedded that nothing uses (a stale file would ship for nothing).
  for (const auto& a : console_assets()) EXPECT_TRUE(seen.contains(std::string(a.path))) << a.path << " is unused";
}

TEST(ConsoleAssets, RootRedirectAndIndex) {
  http::Router router;
  add_console_routes(router);
  http::Response redirect = get(router, "/console");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.headers.get("Location").value_or(""), "/console/");

  http::Response index = get(router, "/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, text_of("index.html"));
  EXPECT_EQ(index.headers.get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.get("Cache-Control").value_or(""), "no-cache");

  EXPECT_EQ(get(router, "/console/nothing.js").status, 404);
  EXPECT_EQ(get(router, "/console/sub/app.js").status, 404);
  http::Request post;
  post.method = "POST";
  post.path = "/console/";
  EXPECT_EQ(router.dispatch(post).status, 405);
}

TEST(ConsoleAssets, EtagRevalidationAnswers304) {
  http::Router router;
  add_console_routes(router);
  http::Response first = get(router, "/console/app.js");
  auto etag = first.headers.get("ETag");
  ASSERT_TRUE(etag.has_value());
  ASSERT_EQ(etag->front(), '"');
  http::Response again = get(router, "/console/app.js", *etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get(router, "/console/app.js", "\"other\", W/" + *etag).status, 304);
  EXPECT_EQ(get(router, "/console/app.js", "\"other\"").status, 200);
  EXPECT_NE(get(router, "/console/app.css").headers.get("ETag"), etag) << "one validator per file";
}

TEST(ConsoleAssets, NoInlineScriptStyleOrHandler) {
  std::string index = text_of("index.html");
  std::regex script_tag(R"(<script\b[^>]*>)");
  int scripts = 0;
  for (std::sregex_iterator it(index.begin(), index.end(), script_tag), end; it != end; ++it) {
    ++scripts;
    EXPECT_NE(it->str().find("src="), std::string::npos) << "inline script: " << it->str();
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_EQ(index.find("<style"), std::string::npos);
  EXPECT_EQ(index.find(" style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(index, std::regex(R"(\son[a-z]+=)"))) << "inline event handler";
  EXPECT_EQ(index.find("http://"), std::string::npos) << "nothing from elsewhere";
  EXPECT_EQ(index.find("https://"), std::string::npos) << "nothing from elsewhere";
  for (const auto& a : console_assets()) {
    std::string body(a.body);
    EXPECT_EQ(body.find("innerHTML"), std::string::npos) << a.path << ": build elements, never parse HTML";
    EXPECT_EQ(body.find("eval("), std::string::npos) << a.path;
  }
}

std::set<std::string> dictionary_keys(const std::string& section) {
  std::set<std::string> keys;
  std::regex entry(R"re(\n\s+'([a-z_.\-]+)': ')re");
  for (std::sregex_iterator it(section.begin(), section.end(), entry), end; it != end; ++it) keys.insert((*it)[1]);
  return keys;
}

TEST(ConsoleAssets, FrenchAndEnglishHaveTheSameKeysAndEveryUsedKey) {
  // i18n.js holds the dictionary; i18n_directory.js adds the holds and agents pages' texts.
  std::set<std::string> fr;
  for (const char* file : {"i18n.js", "i18n_directory.js"}) {
    std::string i18n = text_of(file);
    auto fr_at = i18n.find("\n  fr: {");
    auto en_at = i18n.find("\n  en: {");
    auto end_at = i18n.find("\n};", en_at);
    ASSERT_NE(fr_at, std::string::npos) << file;
    ASSERT_NE(en_at, std::string::npos) << file;
    ASSERT_NE(end_at, std::string::npos) << file;
    auto fr_here = dictionary_keys(i18n.substr(fr_at, en_at - fr_at));
    auto en_here = dictionary_keys(i18n.substr(en_at, end_at - en_at));
    EXPECT_GT(fr_here.size(), 20u) << file;
    for (const auto& key : fr_here) EXPECT_TRUE(en_here.contains(key)) << file << ": " << key << " has no English text";
    for (const auto& key : en_here) EXPECT_TRUE(fr_here.contains(key)) << file << ": " << key << " has no French text";
    for (const auto& key : fr_here) EXPECT_TRUE(fr.insert(key).second) << file << ": " << key << " is defined twice";
  }
  EXPECT_GT(fr.size(), 100u);

  std::regex used(R"re(\bt\('([a-z_.\-]+)'|data-i18n="([a-z_.\-]+)")re");
  int uses = 0;
  for (const auto& a : console_assets()) {
    std::string body(a.body);
    for (std::sregex_iterator it(body.begin(), body.end(), used), end; it != end; ++it) {
      std::string key = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
      ++uses;
      EXPECT_TRUE(fr.contains(key)) << a.path << " uses " << key << ", missing from the dictionary";
    }
  }
  EXPECT_GT(uses, 100);
}

}  // namespace
}  // namespace mailprune::console
