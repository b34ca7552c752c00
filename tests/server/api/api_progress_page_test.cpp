// /api/v1/campaigns/{id}/progress-page against a real PostgreSQL: viewers read the mode, admins
// switch it (token or cookie session with CSRF), a link is shown once and works, the previous one
// is revoked, every switch is audited without the token; refusals (401, 403, 400, 415, 404).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "api_test_support.hpp"
#include "progress/access.hpp"

namespace mailprune::api {
namespace {

using test_support::ApiTest;
using test_support::Call;
using test_support::kJson;

class ProgressPageApiTest : public ApiTest {
 protected:
  static Call get() {
    return {"GET", "/api/v1/campaigns/{id}/progress-page", "/api/v1/campaigns/{campaign}/progress-page", "", ""};
  }
  static Call put(const std::string& body, const std::string& content_type = kJson) {
    return {"PUT", "/api/v1/campaigns/{id}/progress-page", "/api/v1/campaigns/{campaign}/progress-page", content_type,
            body};
  }
  std::optional<int> resolve(const std::string& key) {
    std::lock_guard lock(connection_mutex_);
    pqxx::read_transaction tx(*connection_);
    return progress::resolve_page_key(tx, key);
  }
  std::string mode_in_database() {
    std::lock_guard lock(connection_mutex_);
    pqxx::read_transaction tx(*connection_);
    return progress::mode_name(progress::page_access(tx, campaign_id_).mode);
  }
};

TEST_F(ProgressPageApiTest, ViewersReadTheModeAndAdminsSwitchIt) {
  config_.archive.public_url = "https://mail.example.org";
  auto off = as_token(get(), viewer_token_);
  expect(get(), off, 200);
  auto body = nlohmann::json::parse(off.body);
  EXPECT_EQ(body["mode"], "off");
  EXPECT_EQ(body["campaign"], campaign_id_);
  EXPECT_TRUE(body["path"].is_null());
  EXPECT_TRUE(body["url"].is_null());
  EXPECT_TRUE(body["changed_at"].is_null());

  auto made_public = as_token(put(R"({"mode":"public"})"), admin_token_);
  expect(put(""), made_public, 200);
  body = nlohmann::json::parse(made_public.body);
  EXPECT_EQ(body["mode"], "public");
  EXPECT_EQ(body["previous"], "off");
  EXPECT_EQ(body["path"], "/progress/spring");
  EXPECT_EQ(body["url"], "https://mail.example.org/progress/spring");
  EXPECT_EQ(resolve("spring"), campaign_id_);
  body = nlohmann::json::parse(as_token(get(), viewer_token_).body);
  EXPECT_EQ(body["mode"], "public");
  EXPECT_EQ(body["path"], "/progress/spring");
  EXPECT_FALSE(body["changed_at"].is_null());

  // A cookie session with its CSRF token, as the console sends it.
  auto linked = as_session(put(R"({"mode":"link"})"), session_, session_.csrf_token);
  expect(put(""), linked, 200);
  EXPECT_EQ(linked.headers.get("Cache-Control").value_or(""), "no-store");
  body = nlohmann::json::parse(linked.body);
  EXPECT_EQ(body["mode"], "link");
  EXPECT_EQ(body["previous"], "public");
  std::string path = body["path"];
  ASSERT_EQ(path.rfind("/progress/", 0), 0u) << path;
  std::string token = path.substr(10);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(body["url"], "https://mail.example.org" + path);
  EXPECT_EQ(resolve(token), campaign_id_);
  EXPECT_EQ(resolve("spring"), std::nullopt);  // the name no longer opens it
  // The token is shown once: reading the mode never gives it back.
  auto read = as_token(get(), admin_token_);
  expect(get(), read, 200);
  body = nlohmann::json::parse(read.body);
  EXPECT_EQ(body["mode"], "link");
  EXPECT_TRUE(body["path"].is_null());
  EXPECT_EQ(read.body.find(token), std::string::npos);

  // A new link revokes the previous one.
  body = nlohmann::json::parse(as_token(put(R"({"mode":"link"})"), admin_token_).body);
  std::string second = body["path"].get<std::string>().substr(10);
  EXPECT_NE(second, token);
  EXPECT_EQ(resolve(token), std::nullopt);
  EXPECT_EQ(resolve(second), campaign_id_);

  auto switched_off = as_token(put(R"({"mode":"off"})"), admin_token_);
  expect(put(""), switched_off, 200);
  body = nlohmann::json::parse(switched_off.body);
  EXPECT_EQ(body["mode"], "off");
  EXPECT_TRUE(body["path"].is_null());
  EXPECT_EQ(resolve(second), std::nullopt);
  EXPECT_EQ(mode_in_database(), "off");

  // Four switches audited, with who and what, never a token.
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page' AND details::text LIKE '%" +
                  token + "%'"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page' AND "
                  "details->>'mode' = 'link' AND details->>'previous' = 'public'"),
            1);
}

TEST_F(ProgressPageApiTest, RefusesWhatItShould) {
  Call publish = put(R"({"mode":"public"})");
  expect(publish, router_.dispatch(request(publish)), 401);
  expect(get(), router_.dispatch(request(get())), 401);
  auto by_viewer = as_token(publish, viewer_token_);
  expect(publish, by_viewer, 403);
  EXPECT_EQ(nlohmann::json::parse(by_viewer.body)["error"], "forbidden");
  expect(publish, as_session(publish, session_, std::nullopt), 403);  // no CSRF token
  expect(publish, as_session(publish, session_, "forged"), 403);
  EXPECT_EQ(mode_in_database(), "off");

  for (const char* bad :
       {R"({"mode":"secret"})", R"({})", R"({"mode":1})", R"({"mode":"public","extra":true})", R"(["public"])"}) {
    SCOPED_TRACE(bad);
    auto response = as_token(put(bad), admin_token_);
    expect(put(bad), response, 400);
  }
  auto secret = nlohmann::json::parse(as_token(put(R"({"mode":"secret"})"), admin_token_).body);
  EXPECT_EQ(secret["fields"][0]["field"], "mode");
  expect(publish, as_token(put("mode=public", "application/x-www-form-urlencoded"), admin_token_), 415);
  EXPECT_EQ(mode_in_database(), "off");

  Call unknown_put = publish;
  unknown_put.path = "/api/v1/campaigns/987654/progress-page";
  expect(unknown_put, as_token(unknown_put, admin_token_), 404);
  Call unknown_get = get();
  unknown_get.path = "/api/v1/campaigns/987654/progress-page";
  expect(unknown_get, as_token(unknown_get, viewer_token_), 404);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'campaign.progress_page'"), 0);
}

}  // namespace
}  // namespace mailprune::api
