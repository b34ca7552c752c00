// StatusLine: what reaches standard error, captured by pointing file descriptor 2 at a file.
#include "inventory/status_line.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace mailprune::test {
namespace {

using inventory::StatusLine;
using namespace std::chrono_literals;

// Standard error goes to a temporary file for the capture's lifetime.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    saved_ = ::dup(2);
    file_ = std::tmpfile();
    ::dup2(::fileno(file_), 2);
  }
  ~StderrCapture() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    std::fclose(file_);
  }
  std::string text() {
    std::fflush(stderr);
    std::rewind(file_);
    std::string out;
    for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_)) out += static_cast<char>(c);
    return out;
  }

 private:
  int saved_ = -1;
  std::FILE* file_ = nullptr;
};

const std::string kClear = "\r\033[K";

TEST(StatusLine, DrawsFirstThenOnlyWhenForcedWithinTheInterval) {
  StderrCapture capture;
  StatusLine line(true, 1h);
  int calls = 0;
  auto text = [&](const char* s) {
    return [&calls, s] {
      ++calls;
      return std::string(s);
    };
  };
  line.maybe_draw(false, text("one"));   // nothing drawn yet: drawn
  line.maybe_draw(false, text("two"));   // within the hour: skipped, its text never asked for
  line.maybe_draw(true, text("three"));  // forced
  line.erase();
  line.erase();                          // nothing drawn any more: nothing written
  line.maybe_draw(false, text("four"));  // after an erase the next draw happens
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(capture.text(), kClear + "one" + kClear + "three" + kClear + kClear + "four");
}

TEST(StatusLine, DrawsAgainOnceTheIntervalHasPassed) {
  StderrCapture capture;
  StatusLine line(true, 1ms);
  line.maybe_draw(false, [] { return std::string("a"); });
  ::usleep(5000);
  line.maybe_draw(false, [] { return std::string("b"); });
  EXPECT_EQ(capture.text(), kClear + "a" + kClear + "b");
}

TEST(StatusLine, OffWritesNothingAndNeverAsksForText) {
  StderrCapture capture;
  StatusLine line(false, 0ms);
  bool asked = false;
  line.maybe_draw(true, [&] {
    asked = true;
    return std::string("x");
  });
  line.erase();
  EXPECT_FALSE(asked);
  EXPECT_EQ(capture.text(), "");
}

}  // namespace
}  // namespace mailprune::test
