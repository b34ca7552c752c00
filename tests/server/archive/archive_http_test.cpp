// The archive route as the HTTP server will call it: the file with the right headers for a good
// link, and the documented status for every bad one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "archive/archive_http.hpp"
#include "archive/links.hpp"

namespace mailprune::archive {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1'700'000'000;

class ArchiveRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mp-route-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = std::make_unique<ArchiveStore>(dir_ / "archive");
    for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<std::uint8_t>(i * 13 + 5);
    std::mt19937 rng(11);
    content_.resize(600'000);
    for (char& c : content_) c = static_cast<char>(rng() & 0xFF);
    stored_ = store_->store(content_);

    ArchiveReference reference;
    reference.id = 17;
    reference.sha256 = stored_.sha256;
    reference.source.mailbox_id = 1;
    reference.source.folder_name = "INBOX";
    reference.source.uid = 4;
    reference.source.file_name = "Procès-verbal \"final\".pdf";
    reference.source.content_type = "application/pdf";
    references_[17] = reference;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  ArchiveResponse get(const std::string& link, std::int64_t now = kNow) {
    RequestTarget target = split_target(std::string_view(link).substr(link.find("/archive/")));
    return handle_archive_get(
        target.path, target.query, key_, *store_,
        [this](std::int64_t id) -> std::optional<ArchiveReference> {
          ++lookups_;
          auto it = references_.find(id);
          if (it == references_.end()) return std::nullopt;
          return it->second;
        },
        now);
  }
  std::string link_for(std::int64_t id, std::int64_t expires = 0) {
    const auto& r = references_.count(id) ? references_[id] : references_[17];
    return make_link("http://localhost:8080", id, r.sha256, r.source.file_name, expires, key_);
  }
  static std::string body_of(const ArchiveResponse& response) {
    std::string body;
    EXPECT_TRUE(response.write_body);
    response.write_body([&](std::string_view chunk) {
      body.append(chunk);
      return true;
    });
    return body;
  }

  fs::path dir_;
  std::unique_ptr<ArchiveStore> store_;
  security::Key key_{};
  std::string content_;
  StoredObject stored_;
  std::map<std::int64_t, ArchiveReference> references_;
  int lookups_ = 0;
};

TEST_F(ArchiveRoute, GoodLinkServesTheFile) {
  ArchiveResponse response = get(link_for(17));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("content-type"), "application/pdf");
  EXPECT_EQ(response.header("Content-Disposition"),
            "attachment; filename=\"Proc_s-verbal _final_.pdf\"; "
            "filename*=UTF-8''Proc%C3%A8s-verbal%20%22final%22.pdf");
  EXPECT_EQ(response.header("Content-Length"), std::to_string(content_.size()));
  EXPECT_EQ(response.content_length, content_.size());
  EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.header("Cache-Control"), "private");
  EXPECT_EQ(body_of(response), content_);
}

TEST_F(ArchiveRoute, BadLinksGetTheirStatus) {
  std::string good = link_for(17);
  EXPECT_EQ(get("/archive/17/nothex/x?e=0&s=AAAA").status, 400);
  EXPECT_EQ(get(good.substr(0, good.size() - 1)).status, 400);  // signature cut short
  std::string tampered = good;
  char& c = tampered[tampered.find("&s=") + 5];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(get(tampered).status, 403);
  EXPECT_EQ(lookups_, 0) << "no database lookup for a link that is not ours";

  EXPECT_EQ(get(link_for(17, kNow + 5), kNow + 5).status, 403);
  ArchiveResponse expired = get(link_for(17, kNow + 5), kNow + 6);
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  EXPECT_EQ(get(link_for(17, kNow + 5), kNow + 4).status, 200);
  EXPECT_FALSE(expired.write_body);
  EXPECT_EQ(expired.header("Content-Length"), std::to_string(expired.body.size()));
}

TEST_F(ArchiveRoute, UnknownOrMismatchedReferencesAreNotFound) {
  // Signed correctly, but no such reference.
  std::string unknown = make_link("http://h", 99, stored_.sha256, "x.pdf", 0, key_);
  EXPECT_EQ(get(unknown).status, 404);
  // A reference that names other content or another file name.
  std::string other_sha = make_link("http://h", 17, sha256_of("other"), references_[17].source.file_name, 0, key_);
  EXPECT_EQ(get(other_sha).status, 404);
  std::string other_name = make_link("http://h", 17, stored_.sha256, "other.pdf", 0, key_);
  EXPECT_EQ(get(other_name).status, 404);
}

TEST_F(ArchiveRoute, RevokedReferenceIsGone) {
  references_[17].revoked_at = "2024-01-01T00:00:00Z";
  ArchiveResponse response = get(link_for(17));
  EXPECT_EQ(response.status, 410);
  EXPECT_FALSE(response.write_body);
}

TEST_F(ArchiveRoute, MissingObjectIsAServerError) {
  fs::remove(store_->object_path(stored_.sha256));
  EXPECT_EQ(get(link_for(17)).status, 500);
}

TEST_F(ArchiveRoute, DamagedObjectNeverArrivesWhole) {
  {
    std::fstream file(store_->object_path(stored_.sha256), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(10);
    file.put(static_cast<char>(content_[10] ^ 0x40));
  }
  ArchiveResponse response = get(link_for(17));
  ASSERT_EQ(response.status, 200);
  std::size_t sent = 0;
  EXPECT_THROW(response.write_body([&](std::string_view chunk) {
    sent += chunk.size();
    return true;
  }),
               ArchiveError);
  EXPECT_LT(sent, response.content_length);
}

TEST_F(ArchiveRoute, ContentTypeCannotInjectHeaders) {
  references_[17].source.content_type = "text/html\r\nSet-Cookie: a=b";
  EXPECT_EQ(get(link_for(17)).header("Content-Type"), "application/octet-stream");
  references_[17].source.content_type = "Image/PNG";
  EXPECT_EQ(get(link_for(17)).header("Content-Type"), "image/png");
  references_[17].source.content_type = "";
  EXPECT_EQ(get(link_for(17)).header("Content-Type"), "application/octet-stream");
}

TEST(ContentDisposition, Rfc6266Forms) {
  EXPECT_EQ(content_disposition(""), "attachment");
  EXPECT_EQ(content_disposition("plain.txt"), "attachment; filename=\"plain.txt\"; filename*=UTF-8''plain.txt");
  EXPECT_EQ(content_disposition("résumé 100%.pdf"),
            "attachment; filename=\"r_sum_ 100_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20100%25.pdf");
  EXPECT_EQ(content_disposition("a\\b\r\n.txt"),
            "attachment; filename=\"a_b__.txt\"; filename*=UTF-8''a%5Cb%0D%0A.txt");
  EXPECT_EQ(content_disposition("日本.doc"),
            "attachment; filename=\"__.doc\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.doc");
}

}  // namespace
}  // namespace mailprune::archive
