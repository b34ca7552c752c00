// The archive ledger against a real PostgreSQL (tests/harness), migrated by db::Database: one
// object row per content, every reference with all its fields, idempotent retries of a journal
// step, revocation, integrity constraints, and the HTTP route looking references up there.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <filesystem>

#include "archive/archive_http.hpp"
#include "archive/archive_records.hpp"
#include "archive/links.hpp"
#include "db/database.hpp"
#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::archive {
namespace {

class ArchiveRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = test::PostgresServer::shared().create_database();
    config::Config config;
    config.database.url = url_;
    config.database.password = config::Secret(test::PostgresServer::shared().password(), "the test server");
    db::Database database(config);
    database.connect_migrated();
    connection_ = std::make_unique<pqxx::connection>(url_);
    pqxx::work tx(*connection_);
    int source = tx.exec1("INSERT INTO source (name, kind) VALUES ('main', 'imap') RETURNING id")[0].as<int>();
    alice_ = tx.exec_params1("INSERT INTO mailbox (source_id, address) VALUES ($1, 'alice@example.org') RETURNING id",
                             source)[0]
                 .as<int>();
    bob_ = tx.exec_params1("INSERT INTO mailbox (source_id, address) VALUES ($1, 'bob@example.org') RETURNING id",
                           source)[0]
               .as<int>();
    tx.commit();
    store_ = std::make_unique<ArchiveStore>(temp_ / "archive");
  }

  ReferenceSource alice_source() const {
    ReferenceSource s;
    s.mailbox_id = alice_;
    s.action_id = 500;
    s.folder_name = "Archives/Réunions";
    s.uidvalidity = 1700000000;
    s.uid = 42;
    s.internet_message_id = "<abc@example.org>";
    s.section = "2";
    s.file_name = "Compte rendu é.pdf";
    s.content_type = "application/pdf";
    s.part_header =
        "Content-Type: application/pdf; name=\"Compte rendu =?utf-8?q?=C3=A9?=.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment\r\n";
    return s;
  }
  ReferenceSource bob_source() const {
    ReferenceSource s;
    s.mailbox_id = bob_;
    s.folder_name = "Sent";
    s.item_id = "AAMkADk=";
    s.section = "AAMkADk=att1";
    s.file_name = "copy.pdf";
    return s;
  }
  std::int64_t count(const std::string& sql) {
    pqxx::read_transaction tx(*connection_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
  int alice_ = 0;
  int bob_ = 0;
  test::TempDir temp_{"archive"};
  std::unique_ptr<ArchiveStore> store_;
};

TEST_F(ArchiveRecords, MigrationIsApplied) {
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations WHERE version = 3 AND name = 'archive'"), 1);
}

TEST_F(ArchiveRecords, OneObjectRowAndEveryReferenceWithItsFields) {
  StoredObject object = store_->store("the same attachment, twice");
  std::int64_t first = 0;
  std::int64_t second = 0;
  {
    pqxx::work tx(*connection_);
    first = record_archived(tx, object, alice_source());
    second = record_archived(tx, object, bob_source());
    tx.commit();
  }
  EXPECT_NE(first, second);
  EXPECT_EQ(count("SELECT count(*) FROM archive_object"), 1);
  EXPECT_EQ(count("SELECT size FROM archive_object"), static_cast<std::int64_t>(object.size));
  EXPECT_EQ(count("SELECT count(*) FROM archive_object WHERE stored_at IS NOT NULL AND last_verified_at IS NULL"), 1);

  pqxx::read_transaction tx(*connection_);
  std::vector<ArchiveReference> refs = references_of(tx, object.sha256);
  ASSERT_EQ(refs.size(), 2u);
  const ArchiveReference& a = refs[0];
  ReferenceSource expected = alice_source();
  EXPECT_EQ(a.id, first);
  EXPECT_EQ(a.sha256, object.sha256);
  EXPECT_EQ(a.source.mailbox_id, alice_);
  EXPECT_EQ(a.source.action_id, expected.action_id);
  EXPECT_EQ(a.source.folder_name, expected.folder_name);
  EXPECT_EQ(a.source.uidvalidity, expected.uidvalidity);
  EXPECT_EQ(a.source.uid, expected.uid);
  EXPECT_FALSE(a.source.item_id);
  EXPECT_EQ(a.source.internet_message_id, expected.internet_message_id);
  EXPECT_EQ(a.source.section, expected.section);
  EXPECT_EQ(a.source.file_name, expected.file_name);
  EXPECT_EQ(a.source.content_type, expected.content_type);
  EXPECT_EQ(a.source.part_header, expected.part_header);
  EXPECT_EQ(a.created_at.size(), 20u) << a.created_at;
  EXPECT_FALSE(a.revoked());

  const ArchiveReference& b = refs[1];
  EXPECT_EQ(b.id, second);
  EXPECT_EQ(b.source.mailbox_id, bob_);
  EXPECT_FALSE(b.source.action_id);
  EXPECT_FALSE(b.source.uid);
  EXPECT_EQ(b.source.item_id, std::optional<std::string>("AAMkADk="));
  EXPECT_EQ(b.source.content_type, "application/octet-stream");

  EXPECT_TRUE(references_of(tx, sha256_of("something else")).empty());
  auto found = find_reference(tx, second);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->source.section, "AAMkADk=att1");
  EXPECT_FALSE(find_reference(tx, second + 1000));
}

TEST_F(ArchiveRecords, RetriedJournalStepFindsItsReference) {
  StoredObject object = store_->store("detached once");
  std::int64_t id = 0;
  {
    pqxx::work tx(*connection_);
    id = record_archived(tx, object, alice_source());
    tx.commit();
  }
  {
    pqxx::work tx(*connection_);
    EXPECT_EQ(record_archived(tx, object, alice_source()), id);
    ReferenceSource other_part = alice_source();
    other_part.section = "3";
    EXPECT_NE(record_archived(tx, object, other_part), id);
    tx.commit();
  }
  EXPECT_EQ(count("SELECT count(*) FROM archive_reference"), 2);
  pqxx::read_transaction tx(*connection_);
  EXPECT_EQ(references_of_action(tx, 500).size(), 2u);
  EXPECT_TRUE(references_of_action(tx, 501).empty());
}

TEST_F(ArchiveRecords, RolledBackTransactionLeavesNothing) {
  StoredObject object = store_->store("rolled back");
  {
    pqxx::work tx(*connection_);
    record_archived(tx, object, alice_source());
    tx.abort();
  }
  EXPECT_EQ(count("SELECT count(*) FROM archive_object"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM archive_reference"), 0);
}

TEST_F(ArchiveRecords, RevokeOnce) {
  StoredObject object = store_->store("to revoke");
  std::int64_t id = 0;
  {
    pqxx::work tx(*connection_);
    id = record_archived(tx, object, alice_source());
    EXPECT_TRUE(revoke_reference(tx, id));
    tx.commit();
  }
  std::string first_revocation;
  {
    pqxx::work tx(*connection_);
    auto reference = find_reference(tx, id);
    ASSERT_TRUE(reference && reference->revoked());
    first_revocation = *reference->revoked_at;
    EXPECT_FALSE(revoke_reference(tx, id));
    EXPECT_FALSE(revoke_reference(tx, id + 1000));
    EXPECT_EQ(*find_reference(tx, id)->revoked_at, first_revocation);
  }
}

TEST_F(ArchiveRecords, ConstraintsHold) {
  StoredObject object = store_->store("constrained");
  pqxx::work tx(*connection_);
  ReferenceSource nowhere = alice_source();
  nowhere.uid.reset();
  EXPECT_THROW(record_archived(tx, object, nowhere), std::invalid_argument);
  ReferenceSource unknown_mailbox = alice_source();
  unknown_mailbox.mailbox_id = alice_ + bob_ + 100;
  EXPECT_THROW(record_archived(tx, object, unknown_mailbox), pqxx::foreign_key_violation);
}

TEST_F(ArchiveRecords, ReferencedObjectCannotBeDeleted) {
  StoredObject object = store_->store("kept");
  {
    pqxx::work tx(*connection_);
    record_archived(tx, object, alice_source());
    tx.commit();
  }
  pqxx::work tx(*connection_);
  EXPECT_THROW(tx.exec0("DELETE FROM archive_object"), pqxx::foreign_key_violation);
}

TEST_F(ArchiveRecords, MarkVerified) {
  StoredObject object = store_->store("verified");
  pqxx::work tx(*connection_);
  record_object(tx, object);
  record_object(tx, object);  // known: no error, no second row
  ASSERT_EQ(store_->verify(object.sha256), ObjectState::ok);
  EXPECT_TRUE(mark_verified(tx, object.sha256));
  EXPECT_FALSE(mark_verified(tx, sha256_of("unknown")));
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM archive_object WHERE last_verified_at IS NOT NULL")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM archive_object")[0].as<int>(), 1);
}

// The route with its lookup in the database, as `serve` will run it.
TEST_F(ArchiveRecords, RouteLooksReferencesUpInTheDatabase) {
  std::string content(300'000, 'q');
  StoredObject object = store_->store(content);
  std::int64_t id = 0;
  {
    pqxx::work tx(*connection_);
    id = record_archived(tx, object, alice_source());
    tx.commit();
  }
  security::Key key{};
  key.fill(0x5c);
  key[0] = 1;
  LinkSigner signer("http://localhost:8080", 0, key);
  std::string link = signer.link_for(id, object.sha256, alice_source().file_name, 1'700'000'000);
  RequestTarget target = split_target(std::string_view(link).substr(link.find("/archive/")));
  auto lookup = [this](std::int64_t reference_id) {
    pqxx::read_transaction tx(*connection_);
    return find_reference(tx, reference_id);
  };
  ArchiveResponse response = handle_archive_get(target.path, target.query, key, *store_, lookup, 1'700'000'000);
  ASSERT_EQ(response.status, 200) << response.body;
  std::string body;
  response.write_body([&](std::string_view chunk) {
    body.append(chunk);
    return true;
  });
  EXPECT_EQ(body, content);

  {
    pqxx::work tx(*connection_);
    revoke_reference(tx, id);
    tx.commit();
  }
  EXPECT_EQ(handle_archive_get(target.path, target.query, key, *store_, lookup, 1'700'000'000).status, 410);
}

}  // namespace
}  // namespace mailprune::archive
