// ews-test-server: runs the EWS test server by hand (and for tools such as exchangelib).
//
//   ews-test-server --mail DIR [--generate] [--tls] --user alice@example.org:secret
//                   --service svc:secret --oauth client:secret
//
// Prints one JSON line ({"url", "token_url", "port", "ca"}) when ready, then serves until stdin
// closes or SIGINT/SIGTERM.
#include <utility>

#include <csignal>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ews_server/ews_test_server.hpp"
#include "harness/sample_mail.hpp"

namespace {

std::pair<std::string, std::string> split_pair(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("expected NAME:SECRET, got " + text);
  return {text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"EWS test server (Exchange stand-in for mailprune's tests)"};
  std::string mail_dir, schema_dir;
  bool generate = false, tls = false, no_validate = false;
  int users = 3, messages = 50;
  std::vector<std::string> user_specs, service_specs, oauth_specs;
  app.add_option("--mail", mail_dir, "sample-mail set directory (tests/tools/mailgen.py output)");
  app.add_flag("--generate", generate, "generate the set into --mail first");
  app.add_option("--users", users, "with --generate");
  app.add_option("--messages", messages, "with --generate: messages per user");
  app.add_flag("--tls", tls, "serve HTTPS with a throwaway CA (path printed)");
  app.add_option("--schema-dir", schema_dir, "EWS schema directory");
  app.add_flag("--no-validate", no_validate, "do not schema-check requests and responses");
  app.add_option("--user", user_specs, "ADDRESS:PASSWORD (mailbox owner)");
  app.add_option("--service", service_specs, "LOGIN:PASSWORD (may impersonate everyone)");
  app.add_option("--oauth", oauth_specs, "CLIENT_ID:SECRET (client_credentials)");
  CLI11_PARSE(app, argc, argv);

  try {
    mailprune::ews_test::EwsTestServerOptions options;
    options.tls = tls;
    options.schema_dir = schema_dir;
    options.validate = !no_validate;
    mailprune::ews_test::EwsTestServer server(options);
    if (!mail_dir.empty()) {
      auto set = generate ? mailprune::test::generate_sample_mail(mail_dir, {.users = users, .messages = messages})
                          : mailprune::test::read_sample_mail(mail_dir);
      server.load(set);
    }
    for (const auto& spec : user_specs) {
      auto [name, secret] = split_pair(spec);
      server.add_user(name, secret);
    }
    for (const auto& spec : service_specs) {
      auto [name, secret] = split_pair(spec);
      server.add_service_account(name, secret, true);
    }
    for (const auto& spec : oauth_specs) {
      auto [name, secret] = split_pair(spec);
      server.add_oauth_client(name, secret);
    }
    server.start();
    std::cout << nlohmann::json{{"url", server.url()},
                                {"token_url", server.token_url()},
                                {"port", server.port()},
                                {"ca", server.ca_path()}}
                     .dump()
              << std::endl;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread stdin_watch([] {
      std::string line;
      while (std::getline(std::cin, line)) {
      }
      kill(getpid(), SIGTERM);
    });
    stdin_watch.detach();
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
    for (const auto& violation : server.schema_violations()) {
      std::cerr << "schema violation (" << violation.direction << " " << violation.operation
                << "): " << violation.message << "\n";
    }
  } catch (const std::exception& error) {
    std::cerr << "ews-test-server: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
