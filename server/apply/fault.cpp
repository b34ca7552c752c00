#include "apply/fault.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mailprune::apply {
namespace {

struct FaultPlan {
  std::string step;  // "" none
  long count = 1;
};

FaultPlan read_plan() {
  FaultPlan plan;
  const char* text = std::getenv("MAILPRUNE_FAULT_AFTER_STEP");
  if (text == nullptr || *text == '\0') return plan;
  // The count follows the last ':' when it is a number ("undo:uploaded:2"); "undo:uploaded" has none.
  std::string value(text);
  plan.step = value;
  const auto colon = value.rfind(':');
  if (colon != std::string::npos && colon + 1 < value.size() &&
      std::all_of(value.begin() + static_cast<std::ptrdiff_t>(colon) + 1, value.end(),
                  [](unsigned char c) { return std::isdigit(c); })) {
    plan.step = value.substr(0, colon);
    plan.count = std::max(1L, std::strtol(value.c_str() + colon + 1, nullptr, 10));
  }
  return plan;
}

}  // namespace

void after_step(std::string_view step) {
  static const FaultPlan plan = read_plan();
  static std::atomic<long> seen{0};
  if (plan.step.empty() || step != plan.step) return;
  if (++seen != plan.count) return;
  std::fprintf(stderr, "fault hook: killing myself after step %s (#%ld)\n", plan.step.c_str(), plan.count);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  for (;;) ::pause();  // SIGKILL cannot be caught; never returns
}

}  // namespace mailprune::apply
