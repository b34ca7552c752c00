// The notice left in place of a detached attachment: language, size, date, link, escaping.
#include <gtest/gtest.h>

#include "apply/journal.hpp"
#include "apply/notice.hpp"

namespace mailprune::apply {
namespace {

NoticeFacts facts(const std::string& language) {
  NoticeFacts f;
  f.language = language;
  f.file_name = "Compte-rendu <réunion> & \"budget\".pdf";
  f.size = 1'234'567;
  f.archived_at = 1'710'201'600;  // 2024-03-12 00:00:00 UTC
  f.link = "https://mailprune.example.org/archive/12/ab/x?e=0&s=sig";
  return f;
}

TEST(Notice, FrenchText) {
  const std::string text = notice_text(facts("fr"));
  EXPECT_NE(text.find("« Compte-rendu <réunion> & \"budget\".pdf »"), std::string::npos) << text;
  EXPECT_NE(text.find("(1,2 Mo)"), std::string::npos) << text;
  EXPECT_NE(text.find("le 12/03/2024"), std::string::npos) << text;
  EXPECT_NE(text.find("https://mailprune.example.org/archive/12/ab/x?e=0&s=sig"), std::string::npos);
  EXPECT_EQ(text.find('\n'), text.find("\r\n") + 1);  // CRLF line ends
}

TEST(Notice, EnglishHtmlEscapes) {
  const std::string html = notice_html(facts("en"));
  EXPECT_NE(html.find("The attachment <b>Compte-rendu &lt;réunion&gt; &amp; &quot;budget&quot;.pdf</b>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("(1.2 MB)"), std::string::npos);
  EXPECT_NE(html.find("on 2024-03-12"), std::string::npos);
  EXPECT_NE(html.find("href=\"https://mailprune.example.org/archive/12/ab/x?e=0&amp;s=sig\""), std::string::npos);
  EXPECT_EQ(html.find("<réunion>"), std::string::npos);
}

TEST(Notice, Sizes) {
  EXPECT_EQ(notice_size(0, "fr"), "0 octets");
  EXPECT_EQ(notice_size(999, "en"), "999 bytes");
  EXPECT_EQ(notice_size(1000, "en"), "1.0 kB");
  EXPECT_EQ(notice_size(999'950, "fr"), "1,0 Mo");
  EXPECT_EQ(notice_size(3'500'000'000, "en"), "3.5 GB");
}

TEST(Notice, UnnamedAttachment) {
  NoticeFacts f = facts("en");
  f.file_name.clear();
  EXPECT_NE(notice_text(f).find("\"unnamed\""), std::string::npos);
}

TEST(Journal, StepNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Step::purged); ++i) {
    const auto step = static_cast<Step>(i);
    EXPECT_EQ(parse_step(step_name(step)), step);
  }
  EXPECT_FALSE(parse_step("undo:uploaded"));
  EXPECT_TRUE(is_final(Step::skipped));
  EXPECT_FALSE(is_final(Step::original_removed));
}

}  // namespace
}  // namespace mailprune::apply
