// Percent-decoding, query strings and forms, cookies, HTML escaping, request targets.
#include "http/encoding.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mailprune::http {
namespace {

TEST(PercentDecode, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2Fd%C3%A9"), "a b/c/dé");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%2B", true), "+");
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, RefusesMalformedEscapes) {
  for (const char* bad : {"%", "%2", "a%g0", "%0g", "abc%", "%%41"}) {
    EXPECT_FALSE(percent_decode(bad).has_value()) << bad;
  }
}

TEST(PercentEncode, KeepsUnreservedAndRoundTripsEveryByte) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b/é?&=+"), "a%20b%2F%C3%A9%3F%26%3D%2B");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(percent_decode(percent_encode(all)), all);
  EXPECT_EQ(percent_decode(percent_encode(all), true), all);
}

TEST(Urlencoded, ParsesPairsInOrderWithRepeatsAndEmptyValues) {
  auto params = parse_urlencoded("a=1&b=x+y&c&a=2&&d=%26%3D&=e");
  ASSERT_TRUE(params);
  EXPECT_EQ(params->get("a"), "1");
  EXPECT_EQ(params->get_all("a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(params->get("b"), "x y");
  EXPECT_EQ(params->get("c"), "");
  EXPECT_EQ(params->get("d"), "&=");
  EXPECT_EQ(params->get(""), "e");
  EXPECT_FALSE(params->get("z"));
  EXPECT_EQ(params->size(), 6u);
  EXPECT_FALSE(parse_urlencoded("a=%zz"));
  EXPECT_TRUE(parse_urlencoded("")->empty());
}

TEST(Form, OnlyForTheFormMediaType) {
  Request request;
  request.body = "choice=approve&item=1&item=2";
  EXPECT_FALSE(parse_form(request)) << "no Content-Type";
  request.headers.set("Content-Type", "text/plain");
  EXPECT_FALSE(parse_form(request));
  request.headers.set("content-type", "Application/X-WWW-Form-Urlencoded ; charset=UTF-8");
  auto form = parse_form(request);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->get("choice"), "approve");
  EXPECT_EQ(form->get_all("item").size(), 2u);
  request.body = "a=%";
  EXPECT_FALSE(parse_form(request));
}

TEST(Cookies, SplitsTrimsAndUnquotes) {
  Params cookies = parse_cookies(" session=abc; theme=\"dark\" ;bad; =x; empty=; a=b=c");
  EXPECT_EQ(cookies.get("session"), "abc");
  EXPECT_EQ(cookies.get("theme"), "dark");
  EXPECT_EQ(cookies.get("empty"), "");
  EXPECT_EQ(cookies.get("a"), "b=c");
  EXPECT_FALSE(cookies.get("bad"));
  EXPECT_EQ(cookies.size(), 4u);

  Request request;
  request.headers.add("Cookie", "a=1");
  request.headers.add("cookie", "b=2");
  Params all = request_cookies(request);
  EXPECT_EQ(all.get("a"), "1");
  EXPECT_EQ(all.get("b"), "2");
}

TEST(HtmlEscape, EscapesTheFiveCharacters) {
  EXPECT_EQ(html_escape(R"(<a href="x" title='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain é"), "plain é");
}

TEST(Target, SplitsAndDecodesOriginAndAbsoluteForms) {
  auto t = parse_target("/review/abc%2Ddef?lang=fr&x=a+b#frag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/review/abc-def");
  EXPECT_EQ(t->query.get("lang"), "fr");
  EXPECT_EQ(t->query.get("x"), "a b");

  auto absolute = parse_target("http://example.org:8080/healthz?a=1");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->path, "/healthz");
  EXPECT_EQ(absolute->query.get("a"), "1");
  auto bare = parse_target("HTTPS://example.org?a=1");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->path, "/");
  EXPECT_EQ(bare->query.get("a"), "1");

  auto slash = parse_target("/archive/1/ab/a%2Fb.pdf");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->path, "/archive/1/ab/a/b.pdf");
}

TEST(Target, RefusesWhatCouldEscapeAPrefix) {
  for (const char* bad : {"", "*", "healthz", "/a/../b", "/..", "/a/.", "/a/%2e%2e/b", "/a/%2E/b", "/a/%2e", "/a%00b",
                          "/a%zz", "/a?b=%", "/x/a%2F..%2Fb"}) {
    EXPECT_FALSE(parse_target(bad)) << bad;
  }
  EXPECT_TRUE(parse_target("/a/..b/.c/"));
}

TEST(Target, RandomInputNeverCrashes) {
  std::mt19937 random(12345);
  const std::string alphabet("/%?.#+=&aZ09\0\xff", 14);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    std::size_t length = random() % 24;
    for (std::size_t j = 0; j < length; ++j) text += alphabet[random() % alphabet.size()];
    auto t = parse_target(text);
    if (t) {
      EXPECT_EQ(t->path.front(), '/');
      EXPECT_EQ(t->path.find('\0'), std::string::npos);
    }
    (void)parse_urlencoded(text);
    (void)parse_cookies(text);
  }
}

}  // namespace
}  // namespace mailprune::http
