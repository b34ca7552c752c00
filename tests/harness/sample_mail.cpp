#include "harness/sample_mail.hpp"

#include <stdexcept>

#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"

#ifndef MAILPRUNE_TEST_TOOLS_DIR
#error "MAILPRUNE_TEST_TOOLS_DIR must name tests/tools"
#endif

namespace mailprune::test {

std::string test_tools_dir() {
  return MAILPRUNE_TEST_TOOLS_DIR;
}

SampleMailSet read_sample_mail(const std::string& dir) {
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(read_file(dir + "/manifest.json"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(dir + "/manifest.json: " + e.what());
  }
  SampleMailSet set;
  set.dir = dir;
  try {
    for (const auto& user : manifest.at("users")) set.users.push_back(user.at("address").get<std::string>());
    for (const auto& folder : manifest.at("folders")) {
      set.folders.push_back({folder.at("user").get<std::string>(), folder.at("folder").get<std::string>()});
    }
    for (const char* list : {"messages", "damaged_messages"}) {
      if (!manifest.contains(list)) continue;
      for (const auto& m : manifest.at(list)) {
        SampleMessage message;
        message.user = m.at("user").get<std::string>();
        message.folder = m.at("folder").get<std::string>();
        message.path = dir + "/" + m.at("file").get<std::string>();
        message.flags = m.at("flags").get<std::vector<std::string>>();
        message.internal_date = m.at("internal_date_epoch").get<std::time_t>();
        message.size = m.at("size").get<std::uint64_t>();
        message.damaged = std::string(list) == "damaged_messages";
        set.messages.push_back(std::move(message));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(dir + "/manifest.json: " + e.what());
  }
  return set;
}

SampleMailSet generate_sample_mail(const std::string& out_dir, const MailgenOptions& options) {
  run_checked({"python3", test_tools_dir() + "/mailgen.py", "--users", std::to_string(options.users), "--messages",
               std::to_string(options.messages), "--seed", std::to_string(options.seed), "--size-scale",
               std::to_string(options.size_scale), "--damaged", std::to_string(options.damaged), "--out", out_dir});
  return read_sample_mail(out_dir);
}

nlohmann::json inventory_truth(const std::string& dir, bool include_groups) {
  // Through a file: run() joins stdout and stderr, and a warning must not break the JSON.
  TempDir scratch("truth");
  const std::string output = scratch / "summary.json";
  std::vector<std::string> argv = {"python3", test_tools_dir() + "/inventory_truth.py", "--output", output, dir};
  if (include_groups) argv.push_back("--groups");
  auto result = platform::run(argv);
  if (result.exit_code != 0) throw std::runtime_error("inventory_truth.py failed:\n" + result.output);
  return nlohmann::json::parse(read_file(output));
}

std::vector<std::string> folder_with_parents(const std::string& folder) {
  std::vector<std::string> out;
  for (auto slash = folder.find('/'); slash != std::string::npos; slash = folder.find('/', slash + 1)) {
    out.push_back(folder.substr(0, slash));
  }
  out.push_back(folder);
  return out;
}

}  // namespace mailprune::test
