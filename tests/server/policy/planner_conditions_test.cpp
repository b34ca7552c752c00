// Every rule condition against a small inventory written by hand: each rule is planned as its own
// campaign and must propose exactly the attachments (or messages) the condition describes.
#include <fmt/format.h>

#include "policy_test_support.hpp"

namespace mailprune::test {
namespace {

using Names = std::vector<std::string>;

class Conditions : public PlannerTest {
 protected:
  void SetUp() override {
    PlannerTest::SetUp();
    int alice = inventory_->mailbox("alice@example.org", "sales");
    int bob = inventory_->mailbox("bob@example.org", "support");
    int inbox = inventory_->folder(alice, "INBOX");
    int projects = inventory_->folder(alice, "Projects");
    int projects_old = inventory_->folder(alice, "Projects/2019");
    int projects2 = inventory_->folder(alice, "Projects2");
    int bob_inbox = inventory_->folder(bob, "INBOX");

    auto message = [&](int folder, const std::string& subject, auto&& adjust) {
      MessageSpec m;
      m.subject = subject;
      adjust(m);
      return inventory_->message(folder, m);
    };
    auto attach = [&](std::int64_t message_id, const std::string& name, auto&& adjust) {
      AttachmentSpec a;
      a.name = name;
      adjust(a);
      inventory_->attachment(message_id, a);
    };
    auto none = [](auto&) {};

    // Sizes around 5 MB (5,000,000) and 5 MiB (5,242,880).
    auto sizes = message(inbox, "sizes", [](MessageSpec& m) { m.size = 20000000; });
    attach(sizes, "a-4999999.bin", [](AttachmentSpec& a) { a.size = 4999999; });
    attach(sizes, "a-5000000.bin", [](AttachmentSpec& a) { a.size = 5000000; });
    attach(sizes, "a-5242880.bin", [](AttachmentSpec& a) { a.size = 5242880; });
    // Types, names, inline.
    auto kinds = message(inbox, "kinds", none);
    attach(kinds, "photo.JPG", [](AttachmentSpec& a) { a.content_type = "image/jpeg"; });
    attach(kinds, "logo.png", [](AttachmentSpec& a) {
      a.content_type = "image/png";
      a.is_inline = true;
    });
    attach(kinds, "Report.PDF", none);
    attach(kinds, "notes.pdf.txt", [](AttachmentSpec& a) { a.content_type = "text/plain"; });
    // Dates: every other message is 30 days old.
    attach(message(inbox, "old", [](MessageSpec& m) { m.date = "2015-01-10 12:00:00+00"; }), "old.doc", none);
    attach(message(inbox, "recent", [](MessageSpec& m) { m.date = ""; }), "undated.doc", none);
    attach(message(inbox, "new", [](MessageSpec& m) { m.date = "2100-01-01 00:00:00+00"; }), "future.doc", none);
    // Folders.
    attach(message(projects, "p", none), "in-projects.doc", none);
    attach(message(projects_old, "p2019", none), "in-projects-2019.doc", none);
    attach(message(projects2, "p2", none), "in-projects2.doc", none);
    // Senders, seen.
    attach(message(inbox, "from-partner", [](MessageSpec& m) { m.from = "Jean.Dupont@Partner.FR"; }), "partner.doc",
           none);
    attach(message(inbox, "unread", [](MessageSpec& m) { m.seen = false; }), "unread.doc", none);
    // Message sizes.
    message(inbox, "big-message", [](MessageSpec& m) { m.size = 30000000; });
    // Duplicates: "dup" twice in alice's mailbox, "cross" once in alice's and once in bob's.
    attach(message(inbox, "d1", none), "dup-1.zip", [](AttachmentSpec& a) { a.sha = "dup"; });
    attach(message(inbox, "d2", none), "dup-2.zip", [](AttachmentSpec& a) { a.sha = "dup"; });
    attach(message(inbox, "c1", none), "cross-alice.zip", [](AttachmentSpec& a) { a.sha = "cross"; });
    attach(message(bob_inbox, "c2", none), "cross-bob.zip", [](AttachmentSpec& a) { a.sha = "cross"; });
    attach(message(inbox, "u1", none), "unique.zip", [](AttachmentSpec& a) { a.sha = "unique"; });
  }

  // The attachments (or messages) one rule proposes, planned as its own campaign.
  Names take(const std::string& rule_body, policy::CampaignScope scope = {}) {
    std::string name = fmt::format("c{}", ++campaigns_);
    auto outcome = plan(name, "[[rule]]\nname = \"r\"\n" + rule_body + "\n", std::nullopt, scope);
    return names(outcome);
  }
  int campaigns_ = 0;
};

TEST_F(Conditions, AttachmentSizesInDecimalAndBinaryUnits) {
  EXPECT_EQ(take("action = \"detach\"\nmin_attachment_size = \"5MB\""), (Names{"a-5000000.bin", "a-5242880.bin"}));
  EXPECT_EQ(take("action = \"detach\"\nmin_attachment_size = \"5 MiB\""), (Names{"a-5242880.bin"}));
  EXPECT_EQ(take("action = \"detach\"\nmin_attachment_size = 4999999\nmax_attachment_size = \"5mb\""),
            (Names{"a-4999999.bin", "a-5000000.bin"}));
}

TEST_F(Conditions, ContentTypesFileNamesAndInline) {
  EXPECT_EQ(take("action = \"detach\"\ncontent_types = [\"image/*\"]"), (Names{"logo.png", "photo.JPG"}));
  EXPECT_EQ(take("action = \"detach\"\ncontent_types = [\"IMAGE/*\"]\ninline = false"), (Names{"photo.JPG"}));
  EXPECT_EQ(take("action = \"detach\"\ninline = true"), (Names{"logo.png"}));
  // Case-insensitive, anchored: "*.pdf" is not "notes.pdf.txt".
  EXPECT_EQ(take("action = \"detach\"\nfile_names = [\"*.pdf\"]"), (Names{"Report.PDF"}));
  EXPECT_EQ(take("action = \"detach\"\nfile_names = [\"*.jpg\", \"report.???\"]"), (Names{"Report.PDF", "photo.JPG"}));
}

TEST_F(Conditions, AgesFoldersSendersSeenAndMessageSize) {
  EXPECT_EQ(take("action = \"detach\"\nolder_than = \"2y\""), (Names{"old.doc"}));
  EXPECT_EQ(take("action = \"detach\"\nolder_than = \"1d\"\nnewer_than = \"3000d\"\nfile_names = [\"*.doc\"]"),
            (Names{"in-projects-2019.doc", "in-projects.doc", "in-projects2.doc", "partner.doc", "unread.doc"}));
  // '*' stays within one folder level, '**' crosses levels, a trailing '/**' includes the folder.
  EXPECT_EQ(take("action = \"detach\"\nfolders = [\"Projects/**\"]"),
            (Names{"in-projects-2019.doc", "in-projects.doc"}));
  EXPECT_EQ(take("action = \"detach\"\nfolders = [\"Proj*\"]"), (Names{"in-projects.doc", "in-projects2.doc"}));
  EXPECT_EQ(take("action = \"detach\"\nfolders = [\"projects/**\"]"), Names{}) << "folder names are case-sensitive";
  EXPECT_EQ(take("action = \"detach\"\nfile_names = [\"in-*\"]\nexclude_folders = [\"Projects\"]"),
            (Names{"in-projects-2019.doc", "in-projects2.doc"}));
  EXPECT_EQ(take("action = \"detach\"\nsenders = [\"*@partner.fr\"]"), (Names{"partner.doc"}));
  EXPECT_EQ(take("action = \"detach\"\nseen = false"), (Names{"unread.doc"}));
  EXPECT_EQ(take("action = \"delete\"\nmin_message_size = \"25MB\""), (Names{"big-message"}));
  EXPECT_EQ(take("action = \"delete\"\nfolders = [\"inbox\"]\nmin_message_size = \"19MB\""),
            (Names{"big-message", "sizes"}))
      << "INBOX is matched in any case";
}

TEST_F(Conditions, DuplicatesOnlyWithinTheCampaignScope) {
  EXPECT_EQ(take("action = \"detach\"\nduplicates_only = true"),
            (Names{"cross-alice.zip", "cross-bob.zip", "dup-1.zip", "dup-2.zip"}));
  policy::CampaignScope sales;
  sales.teams = {"sales"};
  EXPECT_EQ(take("action = \"detach\"\nduplicates_only = true", sales), (Names{"dup-1.zip", "dup-2.zip"}));
  policy::CampaignScope unknown;
  unknown.teams = {"nobody"};
  EXPECT_THROW(take("action = \"detach\"\nduplicates_only = true", unknown), policy::PlanError);
}

// One pass holds both rules: the duplicates rule joins the table of duplicated hashes, and an
// attachment without a duplicate (or without a hash) still falls to the other rule.
TEST_F(Conditions, DuplicatesRuleBesideAnotherDetachRuleInOnePass) {
  auto outcome = plan("mixed",
                      "[[rule]]\nname = \"dup\"\naction = \"detach\"\npriority = 10\nduplicates_only = true\n"
                      "[[rule]]\nname = \"zip\"\naction = \"detach\"\npriority = 5\nfile_names = [\"*.zip\"]\n"
                      "[[rule]]\nname = \"pdf\"\naction = \"detach\"\npriority = 1\nfile_names = [\"*.pdf\"]\n");
  std::map<std::string, std::string> rules;
  for (const auto& [name, p] : outcome.proposals) {
    if (name.ends_with(".zip") || name.ends_with(".PDF")) rules[name] = p.rule;
  }
  EXPECT_EQ(rules, (std::map<std::string, std::string>{{"Report.PDF", "pdf"},
                                                       {"cross-alice.zip", "dup"},
                                                       {"cross-bob.zip", "dup"},
                                                       {"dup-1.zip", "dup"},
                                                       {"dup-2.zip", "dup"},
                                                       {"unique.zip", "zip"}}));
  // The planner's work tables (duplicates, folder flags) are gone once it has committed.
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname ~ '^plan_(duplicate|folder)_'"), 0);
}

}  // namespace
}  // namespace mailprune::test
