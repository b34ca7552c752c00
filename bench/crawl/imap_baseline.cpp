// bench_imap_baseline: the two minimal IMAP clients that set the crawl benchmark's speed limit
// (docs/benchmarks.md), on the project's own imap::Session so that TLS, COMPRESS and parsing cost
// the same as in the crawl.
//
//   bench_imap_baseline --mode bodystructure|raw --config SANDBOX/mailprune.toml [--connections N]
//                       [--mailbox ADDR]... [--no-compress]
//
// Per mailbox (logged in as "<mailbox>*<admin>", Dovecot's master user), LIST "" "*", then per
// selectable folder EXAMINE and one `UID FETCH 1:* (...)`:
//   bodystructure  (BODYSTRUCTURE): the least a crawl can ask for to know the attachments;
//   raw            (BODY.PEEK[]): every message whole, the bodies streamed to a counting sink and
//                  dropped (never buffered), giving the server's raw byte rate.
// Mailboxes are shared out over `--connections` threads, one session per mailbox (as the crawl
// does with max_connections). Prints one JSON object on standard output: seconds (wall clock,
// logins included), messages, message_bytes (raw: literal bytes of the bodies), bytes_received
// (wire, after TLS, before inflate), bytes_inflated, commands, round_trips, mailboxes, folders.
// Exit code 1 on any failure (a baseline that skipped a folder would be a wrong speed limit).
#include <fmt/format.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "imap/command.hpp"
#include "imap/session.hpp"

namespace fs = std::filesystem;
using namespace mailprune::imap;

namespace {

enum class Mode { bodystructure, raw };

struct Totals {
  std::uint64_t messages = 0;
  std::uint64_t message_bytes = 0;  // raw mode: body literal bytes received
  std::uint64_t folders = 0;
  std::uint64_t mailboxes = 0;
  SessionTraffic traffic;

  void add(const Totals& other) {
    messages += other.messages;
    message_bytes += other.message_bytes;
    folders += other.folders;
    mailboxes += other.mailboxes;
    traffic.bytes_received += other.traffic.bytes_received;
    traffic.bytes_sent += other.traffic.bytes_sent;
    traffic.bytes_inflated += other.traffic.bytes_inflated;
    traffic.commands += other.traffic.commands;
    traffic.round_trips += other.traffic.round_trips;
  }
};

std::string read_first_line(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// First column of agents.csv (header `address,...`): the mailbox addresses.
std::vector<std::string> read_mailboxes(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::vector<std::string> out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    auto address = line.substr(0, line.find(','));
    if (!address.empty() && address.back() == '\r') address.pop_back();
    if (!address.empty()) out.push_back(address);
  }
  return out;
}

// Opens the session of one mailbox with the master user's credentials.
std::unique_ptr<Session> open_mailbox(const SessionOptions& base, const std::string& mailbox) {
  SessionOptions options = base;
  options.authcid = mailbox + "*" + base.authcid;
  return Session::open(options);
}

void require_ok(const CommandResult& result, const std::string& what) {
  if (!result.ok()) throw std::runtime_error(what + ": " + result.status.text);
}

Totals crawl_mailbox(const SessionOptions& base, const std::string& mailbox, Mode mode) {
  Totals totals;
  auto session = open_mailbox(base, mailbox);
  std::uint64_t streamed = 0;
  if (mode == Mode::raw) {
    session->set_literal_sink([&streamed](const LiteralChunk& chunk) { streamed += chunk.bytes.size(); });
  }
  auto list_result = session->run(list(session->command_options(), session->tags().next(), "", "*"));
  require_ok(list_result, mailbox + ": LIST");
  std::vector<std::string> folders;
  for (const auto& response : list_result.untagged) {
    const auto* entry = std::get_if<ListData>(&response);
    if (!entry || entry->lsub || entry->has_attribute("\\Noselect") || entry->has_attribute("\\NonExistent")) continue;
    folders.push_back(entry->mailbox);
  }
  const std::vector<std::string> items =
      mode == Mode::raw ? std::vector<std::string>{"BODY.PEEK[]"} : std::vector<std::string>{"BODYSTRUCTURE"};
  for (const auto& folder : folders) {
    SelectOptions examine;
    examine.read_only = true;
    require_ok(
        session->run(select(session->command_options(), session->tags().next(), Mailbox::from_wire(folder), examine)),
        mailbox + ": EXAMINE " + folder);
    auto fetched = session->run(uid_fetch(session->tags().next(), "1:*", items));
    require_ok(fetched, mailbox + ": UID FETCH in " + folder);
    for (const auto& response : fetched.untagged) {
      const auto* message = std::get_if<FetchMessage>(&response);
      if (!message) continue;
      ++totals.messages;
      // Bodies at or below the streaming threshold arrive buffered (none with the threshold at 0).
      for (const auto& section : message->body_sections) {
        if (!section.streamed) totals.message_bytes += section.data.size();
      }
    }
    ++totals.folders;
  }
  totals.message_bytes += streamed;
  totals.mailboxes = 1;
  totals.traffic = session->traffic();
  session->close();
  return totals;
}

struct Settings {
  SessionOptions session;
  std::vector<std::string> mailboxes;
  int connections = 4;
};

// Reads the sandbox's mailprune.toml (the [[source]] written by mailprune-sandbox).
Settings read_config(const fs::path& config_path) {
  Settings settings;
  toml::table config = toml::parse_file(config_path.string());
  const auto* sources = config["source"].as_array();
  if (!sources || sources->empty() || !sources->front().is_table()) {
    throw std::runtime_error(config_path.string() + ": no [[source]]");
  }
  const toml::table& source = *sources->front().as_table();
  const fs::path base = config_path.parent_path();
  auto relative = [&](const std::string& p) { return fs::path(p).is_absolute() ? fs::path(p) : base / p; };
  settings.session.host = source["host"].value_or<std::string>("127.0.0.1");
  settings.session.port = static_cast<std::uint16_t>(source["port"].value_or<std::int64_t>(993));
  const std::string tls = source["tls"].value_or<std::string>("implicit");
  settings.session.transport = tls == "none"       ? Transport::plain
                               : tls == "starttls" ? Transport::starttls
                                                   : Transport::implicit_tls;
  settings.session.ca_file = source["ca_file"].value_or<std::string>("");
  settings.session.authcid = source["user"].value_or<std::string>("admin");
  if (auto file = source["password_file"].value<std::string>()) {
    settings.session.password = read_first_line(relative(*file));
  }
  settings.connections = static_cast<int>(source["max_connections"].value_or<std::int64_t>(4));
  if (auto file = source["mailboxes_file"].value<std::string>()) settings.mailboxes = read_mailboxes(relative(*file));
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Minimal IMAP clients for the crawl benchmark's speed limit (BODYSTRUCTURE only; whole messages)",
               "bench_imap_baseline"};
  std::string mode_name = "bodystructure";
  std::string config_path;
  std::string password_file;
  std::vector<std::string> mailboxes;
  int connections = 0;
  bool no_compress = false;
  app.add_option("--mode", mode_name, "bodystructure or raw")->check(CLI::IsMember({"bodystructure", "raw"}));
  app.add_option("--config", config_path, "the sandbox's mailprune.toml (server, credentials, agents.csv)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--password-file", password_file, "master password (default: the config's password_file)");
  app.add_option("--mailbox", mailboxes, "only these mailboxes (default: the config's mailboxes_file)");
  app.add_option("--connections", connections, "parallel sessions (default: the config's max_connections)");
  app.add_flag("--no-compress", no_compress, "do not ask for COMPRESS=DEFLATE");
  CLI11_PARSE(app, argc, argv);

  try {
    Settings settings = read_config(config_path);
    if (!password_file.empty()) settings.session.password = read_first_line(password_file);
    if (!mailboxes.empty()) settings.mailboxes = mailboxes;
    if (connections > 0) settings.connections = connections;
    if (settings.mailboxes.empty()) throw std::runtime_error("no mailboxes");
    settings.session.compress = !no_compress;
    const Mode mode = mode_name == "raw" ? Mode::raw : Mode::bodystructure;
    if (mode == Mode::raw) settings.session.framer_limits.stream_literals_above = 0;  // every body streams

    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    Totals totals;
    std::string failure;
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    const int n = std::max(1, std::min<int>(settings.connections, static_cast<int>(settings.mailboxes.size())));
    for (int t = 0; t < n; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i = next++; i < settings.mailboxes.size(); i = next++) {
          try {
            Totals one = crawl_mailbox(settings.session, settings.mailboxes[i], mode);
            std::lock_guard lock(mutex);
            totals.add(one);
          } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            failure += settings.mailboxes[i] + ": " + e.what() + "\n";
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!failure.empty()) {
      fmt::print(stderr, "bench_imap_baseline: {}", failure);
      return 1;
    }
    nlohmann::json out = {
        {"mode", mode_name},
        {"seconds", seconds},
        {"connections", n},
        {"compress", settings.session.compress},
        {"mailboxes", totals.mailboxes},
        {"folders", totals.folders},
        {"messages", totals.messages},
        {"message_bytes", totals.message_bytes},
        {"bytes_received", totals.traffic.bytes_received},
        {"bytes_inflated", totals.traffic.bytes_inflated},
        {"bytes_sent", totals.traffic.bytes_sent},
        {"commands", totals.traffic.commands},
        {"round_trips", totals.traffic.round_trips},
    };
    fmt::print("{}\n", out.dump());
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_imap_baseline: {}\n", e.what());
    return 1;
  }
}
