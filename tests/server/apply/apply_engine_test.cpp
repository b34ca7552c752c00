// The apply engine against a real PostgreSQL and the in-memory FakeMailServer: detach, archive,
// delete, the journal's steps, resuming after a crash at every step, retries and failures,
// concurrent runners, a message changed since the crawl, dry run, --limit, undo and purge.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "apply/journal.hpp"
#include "apply_test_support.hpp"

namespace mailprune::test {
namespace {

const std::string kAlice = "alice@example.org";
const std::string kBob = "en-bob@example.org";

// Every part of every message of `box`, as "<message id>/<section>=<notice?>:<content hash>".
std::multiset<std::string> parts_of(const FakeBox& box) {
  std::multiset<std::string> out;
  for (const auto& [uid, mail] : box.messages) {
    for (const auto& part : mail.parts) {
      out.insert(mail.message_id + "/" + part.section + "=" +
                 (part.notice ? "notice" : archive::to_hex(archive::sha256_of(part.content))));
    }
  }
  return out;
}

const FakeMail* find_mail(const FakeBox& box, const std::string& message_id) {
  const FakeMail* found = nullptr;
  for (const auto& [uid, mail] : box.messages) {
    if (mail.message_id == message_id) {
      EXPECT_EQ(found, nullptr) << "two copies of " << message_id;
      found = &mail;
    }
  }
  return found;
}

class ApplyEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    f = std::make_unique<ApplyFixture>(std::vector<std::string>{kAlice, kBob});
    f->server.add(kAlice, "INBOX", mail_with("m1", {5000, 300}));
    f->server.add(kAlice, "INBOX", mail_with("m2", {8000}));
    f->server.add(kAlice, "Projets", mail_with("m3", {100, 12000, 7000}));
    f->server.add(kBob, "INBOX", mail_with("m4", {6000}));
    f->server.add(kBob, "INBOX", mail_with("m5", {}));
    f->crawl();
  }
  std::unique_ptr<ApplyFixture> f;
};

TEST_F(ApplyEngine, DetachesTheSelectedAttachmentsAndJournalsEveryStep) {
  const auto before = f->server.snapshot();
  f->detach_campaign("c1", 1000);
  auto summary = f->apply("c1");
  EXPECT_EQ(summary.enqueued, 4u);  // m1, m2, m3 (two parts), m4
  EXPECT_EQ(summary.done, 4u);
  EXPECT_EQ(summary.skipped, 0u);
  EXPECT_EQ(summary.failed, 0u);
  EXPECT_EQ(summary.bytes_estimated, 5000u + 8000 + 12000 + 7000 + 6000);
  EXPECT_EQ(summary.mailboxes_measured, 2u);
  EXPECT_GT(summary.bytes_measured, 0);

  const auto after = f->server.snapshot();
  // Exactly the selected parts became notices; every other part is unchanged; one copy of each.
  for (const auto& [address, folders] : before) {
    for (const auto& [name, box] : folders) {
      for (const auto& [uid, mail] : box.messages) {
        const FakeMail* now = find_mail(after.at(address).at(name), mail.message_id);
        ASSERT_NE(now, nullptr) << mail.message_id;
        EXPECT_EQ(now->flags, mail.flags);
        EXPECT_EQ(now->internal_date, mail.internal_date);
        ASSERT_EQ(now->parts.size(), mail.parts.size());
        for (std::size_t i = 0; i < mail.parts.size(); ++i) {
          const bool selected = mail.parts[i].content.size() >= 1000;
          EXPECT_EQ(now->parts[i].notice, selected) << mail.message_id << " " << mail.parts[i].section;
          if (!selected) {
            EXPECT_EQ(now->parts[i].content, mail.parts[i].content);
          } else {
            // The archived copy is byte-identical, and the notice names it.
            const auto sha = archive::sha256_of(mail.parts[i].content);
            std::string stored;
            f->store().read(sha, [&](std::string_view chunk) {
              stored.append(chunk);
              return true;
            });
            EXPECT_EQ(stored, mail.parts[i].content);
            EXPECT_NE(now->parts[i].content.find(archive::to_hex(sha)), std::string::npos);
            EXPECT_NE(now->parts[i].content.find(mail.parts[i].name), std::string::npos);
          }
        }
      }
    }
  }
  // Languages: alice is French, bob English.
  const FakeMail* m4 = find_mail(after.at(kBob).at("INBOX"), "m4");
  EXPECT_NE(m4->parts[0].content.find("The attachment"), std::string::npos);
  const FakeMail* m2 = find_mail(after.at(kAlice).at("INBOX"), "m2");
  EXPECT_NE(m2->parts[0].content.find("La pièce jointe"), std::string::npos);

  // Journal: every step in order, once, and the new location.
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'done' AND new_uid IS NOT NULL"), 4);
  auto steps = f->strings(
      "SELECT string_agg(s.step, ',' ORDER BY s.id) FROM action a JOIN action_step s ON s.action_id = a.id "
      "GROUP BY a.id ORDER BY a.id");
  ASSERT_EQ(steps.size(), 4u);
  for (const auto& s : steps) EXPECT_EQ(s, "planned,approved,stored,uploaded,verified,original_removed,done");
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action_part WHERE archive_reference_id IS NOT NULL"), 5);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM archive_reference WHERE part_header LIKE 'Content-Type: application/pdf%'"),
            5);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM apply_run WHERE status = 'done' AND actions_done = 4"), 1);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM apply_measure WHERE bytes_before > bytes_after"), 2);
  EXPECT_EQ(f->server.total_uploads(), 4u);

  // A second run has nothing to do.
  auto again = f->apply("c1");
  EXPECT_EQ(again.enqueued, 0u);
  EXPECT_EQ(again.actions, 0u);
  EXPECT_EQ(f->server.total_uploads(), 4u);
}

TEST_F(ApplyEngine, AMessageChangedSinceTheCrawlIsSkipped) {
  f->detach_campaign("c1", 1000);
  auto snapshot = f->server.snapshot();
  std::uint64_t m2_uid = 0;
  for (const auto& [uid, mail] : snapshot.at(kAlice).at("INBOX").messages) {
    if (mail.message_id == "m2") m2_uid = uid;
  }
  f->server.set_flags(kAlice, "INBOX", m2_uid, {"\\Seen", "\\Flagged"});
  auto summary = f->apply("c1");
  EXPECT_EQ(summary.done, 3u);
  EXPECT_EQ(summary.skipped, 1u);
  EXPECT_EQ(summary.skipped_by_reason["changed"], 1u);
  const FakeMail* m2 = find_mail(f->server.snapshot().at(kAlice).at("INBOX"), "m2");
  ASSERT_NE(m2, nullptr);
  EXPECT_FALSE(m2->parts[0].notice);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'skipped' AND reason LIKE 'changed%'"), 1);
  // What was archived for it is not a detached attachment: its reference is revoked.
  EXPECT_EQ(f->scalar("SELECT count(*) FROM archive_reference r JOIN action a ON a.id = r.action_id "
                      "WHERE a.step = 'skipped' AND r.revoked_at IS NOT NULL"),
            1);
}

// A crash (the engine does not survive the exception) right before each server-side stage, and
// right after each journaled step: the rerun finishes every action once, nothing duplicated.
TEST_F(ApplyEngine, ResumesAfterACrashAtEveryStage) {
  const std::vector<std::string> stages = {"read", "detach:upload", "detach:verify", "detach:remove"};
  f->detach_campaign("c1", 1000);
  const auto before = f->server.snapshot();
  for (const auto& stage : stages) {
    int crashes = 0;
    f->server.fault = [&](const std::string& op, const std::string&) {
      if (op == stage && crashes == 0) {
        ++crashes;
        throw Crash();
      }
    };
    f->apply("c1");
    EXPECT_EQ(crashes, 1) << stage;
  }
  f->server.fault = nullptr;
  auto summary = f->apply("c1");
  EXPECT_EQ(summary.failed, 0u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'done'"), 4);
  // One upload per action however many times it was taken up.
  EXPECT_EQ(f->server.total_uploads(), 4u);
  const auto after = f->server.snapshot();
  for (const auto& [address, folders] : before) {
    for (const auto& [name, box] : folders) {
      EXPECT_EQ(after.at(address).at(name).messages.size(), box.messages.size()) << address << " " << name;
    }
  }
  // The history shows each step reached once, resumed where it stopped.
  EXPECT_EQ(f->scalar("SELECT count(*) FROM (SELECT action_id, step FROM action_step GROUP BY action_id, step "
                      "HAVING count(*) > 1) d"),
            0);
}

TEST_F(ApplyEngine, RetriesALostConnectionThenFailsOnlyThatAction) {
  f->detach_campaign("c1", 1000);
  int drops = 0;
  int bob_opens = 0;
  f->server.fault = [&](const std::string& op, const std::string& mailbox) {
    // Reopening bob's mailbox fails too after the first session: the old session is kept and fails again.
    if (op == "open" && mailbox == kBob && ++bob_opens > 1) {
      throw ConnectorError(ConnectorError::Kind::connection, "connection refused");
    }
    // bob's upload always fails; alice's first upload fails once.
    if (op == "detach:upload" && (mailbox == kBob || drops == 0)) {
      ++drops;
      throw ConnectorError(ConnectorError::Kind::connection, "connection reset");
    }
  };
  auto summary = f->apply("c1");
  EXPECT_EQ(summary.done, 3u);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'failed' AND failed_step = 'stored' "
                      "AND reason LIKE '%connection reset%'"),
            1);
  EXPECT_EQ(bob_opens, 3);  // the first session, then a reopen after each of the two retriable failures
  // --retry-failed takes it up again from where it stopped.
  f->server.fault = nullptr;
  apply::RunOptions options;
  options.campaign = "c1";
  options.retry_failed = true;
  auto retried = f->run(options);
  EXPECT_EQ(retried.done, 1u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'done'"), 4);
}

TEST_F(ApplyEngine, DryRunWritesNothingAndLimitStopsEarly) {
  f->detach_campaign("c1", 1000);
  apply::RunOptions dry;
  dry.campaign = "c1";
  dry.dry_run = true;
  auto preview = f->run(dry);
  EXPECT_EQ(preview.actions, 4u);
  EXPECT_EQ(preview.planned.size(), 4u);
  EXPECT_EQ(preview.bytes_estimated, 38000u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action"), 0);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM apply_run"), 0);
  EXPECT_EQ(f->server.total_uploads(), 0u);

  apply::RunOptions limited;
  limited.campaign = "c1";
  limited.limit = 1;
  auto summary = f->run(limited);
  EXPECT_EQ(summary.done, 1u);
  EXPECT_EQ(summary.left, 3u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'approved'"), 3);
}

TEST_F(ApplyEngine, TwoRunnersAtOnceDoEachActionOnce) {
  for (int i = 0; i < 20; ++i) f->server.add(kAlice, "INBOX", mail_with("x" + std::to_string(i), {2000}));
  f->crawl();
  f->detach_campaign("c1", 1000);
  apply::RunSummary a, b;
  std::thread first([&] { a = f->apply("c1"); });
  std::thread second([&] { b = f->apply("c1"); });
  first.join();
  second.join();
  EXPECT_EQ(a.failed + b.failed, 0u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'done'"), 24);
  EXPECT_EQ(f->server.total_uploads(), 24u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action_step WHERE step = 'uploaded'"), 24);
}

TEST_F(ApplyEngine, ArchiveDeleteUndoAndPurge) {
  const int id = f->campaign("c2", 30, R"([{"name": "old", "action": "archive", "archive_folder": "Old/{year}"}])");
  f->message_proposals(id, "archive", {"m1"}, "old");
  f->message_proposals(id, "delete", {"m4"}, "gone");
  auto summary = f->apply("c2");
  EXPECT_EQ(summary.done, 2u);
  auto boxes = f->server.snapshot();
  EXPECT_EQ(find_mail(boxes.at(kAlice).at("INBOX"), "m1"), nullptr);
  EXPECT_NE(find_mail(boxes.at(kAlice).at("Old/2020"), "m1"), nullptr);  // internal date 2020-09-13
  EXPECT_NE(find_mail(boxes.at(kBob).at("mailprune/Quarantine"), "m4"), nullptr);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE kind = 'delete' AND purge_after > now() + interval '29 days'"),
            1);

  // Purge does nothing before purge_after...
  apply::RunOptions purge;
  purge.mode = apply::Mode::purge;
  purge.campaign = "c2";
  EXPECT_EQ(f->run(purge).done, 0u);
  // ...undo of the archive puts m1 back...
  apply::RunOptions undo;
  undo.mode = apply::Mode::undo;
  undo.campaign = "c2";
  undo.mailboxes = {kAlice};
  auto undone = f->run(undo);
  EXPECT_EQ(undone.done, 1u);
  boxes = f->server.snapshot();
  EXPECT_NE(find_mail(boxes.at(kAlice).at("INBOX"), "m1"), nullptr);
  EXPECT_EQ(find_mail(boxes.at(kAlice).at("Old/2020"), "m1"), nullptr);
  // ...and once the grace period is over, purge removes m4 for good; it cannot be undone after.
  f->exec(
      "UPDATE action SET purge_after = now() - interval '1 second', done_at = now() - interval '31 days' "
      "WHERE kind = 'delete'");
  auto purged = f->run(purge);
  EXPECT_EQ(purged.done, 1u);
  EXPECT_EQ(find_mail(f->server.snapshot().at(kBob).at("mailprune/Quarantine"), "m4"), nullptr);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'purged' AND purged_at IS NOT NULL"), 1);
  undo.mailboxes.clear();
  EXPECT_EQ(f->run(undo).done, 0u);
}

TEST_F(ApplyEngine, UndoPutsDetachedAttachmentsBackByteForByte) {
  const auto before = f->server.snapshot();
  f->detach_campaign("c1", 1000);
  f->apply("c1");
  // A crash in the middle of an undo, then the undo again.
  int crashes = 0;
  f->server.fault = [&](const std::string& op, const std::string&) {
    if (op == "reattach:remove" && crashes++ == 0) throw Crash();
  };
  apply::RunOptions undo;
  undo.mode = apply::Mode::undo;
  undo.campaign = "c1";
  f->run(undo);
  f->server.fault = nullptr;
  auto summary = f->run(undo);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'undone'"), 4);
  EXPECT_EQ(summary.failed, 0u);
  const auto after = f->server.snapshot();
  for (const auto& [address, folders] : before) {
    for (const auto& [name, box] : folders) {
      EXPECT_EQ(parts_of(after.at(address).at(name)), parts_of(box)) << address << " " << name;
      for (const auto& [uid, mail] : box.messages) {
        const FakeMail* now = find_mail(after.at(address).at(name), mail.message_id);
        ASSERT_NE(now, nullptr);
        for (std::size_t i = 0; i < mail.parts.size(); ++i) EXPECT_EQ(now->parts[i].header, mail.parts[i].header);
      }
    }
  }
  // The links of undone detaches are revoked.
  EXPECT_EQ(f->scalar("SELECT count(*) FROM archive_reference WHERE revoked_at IS NULL"), 0);
  // Undo of a single action of another campaign is refused.
  apply::RunOptions wrong;
  wrong.mode = apply::Mode::undo;
  wrong.campaign = "nope";
  EXPECT_THROW(f->run(wrong), apply::RunUsageError);
}

TEST_F(ApplyEngine, UndoOfOneActionAndAfterTheGracePeriod) {
  f->detach_campaign("c1", 1000, 10);
  f->apply("c1");
  const auto ids = f->strings("SELECT id FROM action ORDER BY id");
  ASSERT_EQ(ids.size(), 4u);
  apply::RunOptions one;
  one.mode = apply::Mode::undo;
  one.action = std::stoll(ids[1]);
  EXPECT_EQ(f->run(one).done, 1u);
  EXPECT_EQ(f->strings("SELECT id FROM action WHERE step = 'undone'"), std::vector<std::string>{ids[1]});
  // Another campaign's name with that action: refused before anything is done.
  f->campaign("other");
  one.action = std::stoll(ids[2]);
  one.campaign = "other";
  EXPECT_THROW(f->run(one), apply::RunUsageError);
  // Past done_at + grace_days (10): refused, counted, nothing written.
  f->exec("UPDATE action SET done_at = now() - interval '11 days' WHERE step = 'done'");
  apply::RunOptions all;
  all.mode = apply::Mode::undo;
  all.campaign = "c1";
  auto late = f->run(all);
  EXPECT_EQ(late.done, 0u);
  EXPECT_EQ(late.skipped_by_reason["grace_over"], 3u);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action WHERE step = 'done'"), 3);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM action_step WHERE step LIKE 'undo:%' AND action_id <> " + ids[1]), 0);
}

TEST_F(ApplyEngine, NotMeasuredWhenTheServerTellsNothing) {
  f->server.measured = false;
  f->detach_campaign("c1", 1000);
  auto summary = f->apply("c1");
  EXPECT_EQ(summary.done, 4u);
  EXPECT_EQ(summary.mailboxes_measured, 0u);
  EXPECT_NE(apply::summary_line(summary).find("not measured"), std::string::npos) << apply::summary_line(summary);
  EXPECT_EQ(f->scalar("SELECT count(*) FROM apply_measure WHERE bytes_before IS NULL AND bytes_after IS NULL"), 2);
}

}  // namespace
}  // namespace mailprune::test
