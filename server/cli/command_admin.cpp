// admin add | passwd | remove | disable | enable | list | audit, admin token create | list | revoke:
// the accounts of the admin console and API (server/auth).
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "auth/accounts.hpp"
#include "auth/audit.hpp"
#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/operator_audit.hpp"
#include "db/database.hpp"
#include "report/report.hpp"

namespace mailprune::cli {
namespace {

constexpr const char* kPasswordEnv = "MAILPRUNE_ADMIN_PASSWORD";

constexpr const char* kAdminFooter =
    R"(Accounts of the admin console and the HTTP API (see docs/api.md, "Authentication").
Roles: admin (everything) and viewer (read only). Logins: 1 to 64 characters a-z 0-9 . _ @ -,
case-insensitive. Passwords: at least 12 characters, stored only as Argon2id hashes (libsodium).

Passwords never go on the command line. They are read, in this order, from:
  --password-file FILE   the file's first line ("-": standard input), for scripts
  $MAILPRUNE_ADMIN_PASSWORD
  the terminal           asked twice, not echoed
Changing a password or disabling an account ends the account's console sessions.
Every change is written to the audit log (`mailprune admin audit`), with the operating-system
user who ran the command.

Examples:
  mailprune admin add alice --role admin
  mailprune admin add bob --role viewer --password-file /run/secrets/bob
  mailprune admin passwd alice
  mailprune admin token create alice --name nightly-report --expires-days 90
  mailprune admin token revoke 3)";

constexpr const char* kTokenFooter = R"(API tokens let scripts call the HTTP API with `Authorization: Bearer mpt_...`.
`token create` prints the token once, alone on standard output (explanations go to standard error,
so TOKEN=$(mailprune admin token create ...) works); only its SHA-256 is stored, so a lost token
cannot be shown again: revoke it and create another. A token's role defaults to its account's and
cannot exceed it; a disabled account's tokens are refused, a removed account's deleted.)";

struct AdminArgs {
  std::string login;
  std::string role;
  std::string password_file;
  std::string format = "table";
  std::string token_name;
  std::optional<int> expires_days;
  std::int64_t token_id = 0;
  int limit = 50;
};

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string format_time(std::optional<std::int64_t> seconds) {
  if (!seconds) return "";
  std::time_t time = static_cast<std::time_t>(*seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The terminal settings to restore if a signal arrives while echo is off.
termios saved_terminal{};
volatile std::sig_atomic_t echo_off = 0;

extern "C" void restore_terminal_and_die(int signal) {
  if (echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// Echo goes off before the prompt shows, so nothing typed after the prompt is ever echoed.
std::string read_hidden_line(const char* prompt) {
  if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0) throw std::runtime_error("cannot read the terminal settings");
  termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  auto previous_int = std::signal(SIGINT, restore_terminal_and_die);
  auto previous_term = std::signal(SIGTERM, restore_terminal_and_die);
  echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  echo_off = 0;
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  std::fputc('\n', stderr);
  if (!got) throw UsageError{"no password given (end of input)"};
  return line;
}

std::string first_line(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password, from --password-file, the environment or the terminal (see the footer).
std::string new_password(const AdminArgs& args) {
  std::string password;
  if (!args.password_file.empty()) {
    if (args.password_file == "-") {
      password = first_line(std::cin);
    } else {
      std::ifstream in(args.password_file);
      if (!in) throw UsageError{fmt::format("cannot read the password file {}", args.password_file)};
      password = first_line(in);
    }
  } else if (const char* value = std::getenv(kPasswordEnv); value != nullptr && *value != '\0') {
    password = value;
  } else if (::isatty(STDIN_FILENO) == 1) {
    password = read_hidden_line("New password: ");
    if (auto problem = auth::password_problem(password); !problem.empty()) throw UsageError{problem};
    if (read_hidden_line("Again: ") != password) throw UsageError{"the two passwords differ"};
  } else {
    throw UsageError{
        fmt::format("no terminal to ask the password on: give --password-file FILE (or -) or set {}", kPasswordEnv)};
  }
  if (auto problem = auth::password_problem(password); !problem.empty()) throw UsageError{problem};
  return password;
}

auth::Role role_of(const std::string& text) {
  auto role = auth::parse_role(text);
  if (!role) throw UsageError{fmt::format("unknown role \"{}\" (admin or viewer)", text)};
  return *role;
}

// Runs `work` in one transaction of a migrated database, turning refusals into usage errors.
template <class Work>
int in_transaction(const Context& context, Work&& work) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  pqxx::work tx(*connection);
  try {
    work(tx);
  } catch (const auth::AccountError& e) {
    throw UsageError{e.what()};
  }
  tx.commit();
  return kDone;
}

int admin_add(const Context& context, const AdminArgs& args) {
  auth::Role role = role_of(args.role);
  std::string login = auth::normalise_login(args.login);
  if (auto problem = auth::login_problem(login); !problem.empty()) throw UsageError{problem};
  std::string password = new_password(args);
  return in_transaction(context, [&](pqxx::work& tx) {
    auto account = auth::create_account(tx, login, role, password, {}, operator_actor(), "", unix_now());
    fmt::print("admin account {} ({}) created\n", account.login, auth::to_string(account.role));
  });
}

int admin_passwd(const Context& context, const AdminArgs& args) {
  std::string password = new_password(args);
  return in_transaction(context, [&](pqxx::work& tx) {
    auth::change_password(tx, args.login, password, {}, operator_actor(), "", unix_now());
    fmt::print("password of {} changed; its console sessions are ended\n", auth::normalise_login(args.login));
  });
}

int admin_remove(const Context& context, const AdminArgs& args) {
  return in_transaction(context, [&](pqxx::work& tx) {
    auth::remove_account(tx, args.login, operator_actor(), "", unix_now());
    fmt::print("admin account {} removed, with its sessions and tokens\n", auth::normalise_login(args.login));
  });
}

int admin_set_disabled(const Context& context, const AdminArgs& args, bool disabled) {
  return in_transaction(context, [&](pqxx::work& tx) {
    bool changed = auth::set_account_disabled(tx, args.login, disabled, operator_actor(), "", unix_now());
    fmt::print("admin account {} {}{}\n", auth::normalise_login(args.login), changed ? "" : "was already ",
               disabled ? "disabled" : "enabled");
  });
}

int admin_list(const Context& context, const AdminArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  pqxx::read_transaction tx(*connection);
  auto accounts = auth::list_accounts(tx);
  if (args.format == "json") {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& a : accounts) {
      array.push_back({{"id", a.id},
                       {"login", a.login},
                       {"role", auth::to_string(a.role)},
                       {"disabled", a.disabled},
                       {"created_at", format_time(a.created_at)},
                       {"password_changed_at", format_time(a.password_changed_at)},
                       {"last_login_at", a.last_login_at ? nlohmann::json(format_time(a.last_login_at)) : nullptr}});
    }
    fmt::print("{}\n", array.dump(2));
    return kDone;
  }
  report::Table table{{"login", "role", "disabled", "created_at", "last_login_at"}, {}};
  for (const auto& a : accounts) {
    table.rows.push_back({report::Value::of_text(a.login), report::Value::of_text(auth::to_string(a.role)),
                          report::Value::of_bool(a.disabled), report::Value::of_text(format_time(a.created_at)),
                          report::Value::of_text(format_time(a.last_login_at))});
  }
  fmt::print("{}", report::render_table(table, report::ReportFormat::table));
  return kDone;
}

int admin_audit(const Context& context, const AdminArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  pqxx::read_transaction tx(*connection);
  auto entries = auth::recent_audit(tx, args.limit);
  if (args.format == "json") {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& e : entries) {
      array.push_back({{"id", e.id},
                       {"at", format_time(e.at)},
                       {"actor_kind", auth::to_string(e.actor_kind)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"object_type", e.object.type},
                       {"object_id", e.object.id},
                       {"details", e.details},
                       {"ip", e.ip}});
    }
    fmt::print("{}\n", array.dump(2));
    return kDone;
  }
  report::Table table{{"id", "at", "actor", "action", "object", "details", "ip"}, {}};
  for (const auto& e : entries) {
    table.rows.push_back({report::Value::of_integer(e.id), report::Value::of_text(format_time(e.at)),
                          report::Value::of_text(fmt::format("{}:{}", auth::to_string(e.actor_kind), e.actor)),
                          report::Value::of_text(e.action),
                          report::Value::of_text(e.object.type.empty() ? "" : e.object.type + " " + e.object.id),
                          report::Value::of_text(e.details.dump()), report::Value::of_text(e.ip)});
  }
  fmt::print("{}", report::render_table(table, report::ReportFormat::table));
  return kDone;
}

int token_create(const Context& context, const AdminArgs& args) {
  std::optional<auth::Role> role;
  if (!args.role.empty()) role = role_of(args.role);
  std::int64_t now = unix_now();
  std::optional<std::int64_t> expires_at;
  if (args.expires_days) expires_at = now + static_cast<std::int64_t>(*args.expires_days) * 86400;
  return in_transaction(context, [&](pqxx::work& tx) {
    auto token = auth::create_token(tx, args.login, args.token_name, role, expires_at, operator_actor(), "", now);
    fmt::print(stderr, "token {} created for {} (role {}, {}); copy it now, it is not shown again:\n", token.id,
               auth::normalise_login(args.login), auth::to_string(token.role),
               expires_at ? "expires " + format_time(expires_at) : std::string("no expiry"));
    fmt::print("{}\n", token.token);
  });
}

int token_list(const Context& context, const AdminArgs& args) {
  db::Database database(context.config);
  auto connection = database.connect_migrated();
  pqxx::read_transaction tx(*connection);
  std::optional<std::string> login;
  if (!args.login.empty()) login = args.login;
  auto tokens = auth::list_tokens(tx, login);
  auto state = [now = unix_now()](const auth::TokenInfo& t) {
    if (t.revoked_at) return "revoked";
    if (t.expires_at && *t.expires_at <= now) return "expired";
    return "active";
  };
  if (args.format == "json") {
    nlohmann::json array = nlohmann::json::array();
    auto time_or_null = [](std::optional<std::int64_t> t) { return t ? nlohmann::json(format_time(t)) : nullptr; };
    for (const auto& t : tokens) {
      array.push_back({{"id", t.id},
                       {"name", t.name},
                       {"login", t.login},
                       {"role", auth::to_string(t.role)},
                       {"state", state(t)},
                       {"created_at", format_time(t.created_at)},
                       {"last_used_at", time_or_null(t.last_used_at)},
                       {"expires_at", time_or_null(t.expires_at)},
                       {"revoked_at", time_or_null(t.revoked_at)}});
    }
    fmt::print("{}\n", array.dump(2));
    return kDone;
  }
  report::Table table{{"id", "name", "login", "role", "state", "created_at", "last_used_at", "expires_at"}, {}};
  for (const auto& t : tokens) {
    table.rows.push_back({report::Value::of_integer(t.id), report::Value::of_text(t.name),
                          report::Value::of_text(t.login), report::Value::of_text(auth::to_string(t.role)),
                          report::Value::of_text(state(t)), report::Value::of_text(format_time(t.created_at)),
                          report::Value::of_text(format_time(t.last_used_at)),
                          report::Value::of_text(format_time(t.expires_at))});
  }
  fmt::print("{}", report::render_table(table, report::ReportFormat::table));
  return kDone;
}

int token_revoke(const Context& context, const AdminArgs& args) {
  return in_transaction(context, [&](pqxx::work& tx) {
    switch (auth::revoke_token(tx, args.token_id, operator_actor(), "", unix_now())) {
      case auth::RevokeResult::not_found:
        throw UsageError{fmt::format("no token {} (see `mailprune admin token list`)", args.token_id)};
      case auth::RevokeResult::already_revoked:
        fmt::print("token {} was already revoked\n", args.token_id);
        break;
      case auth::RevokeResult::revoked:
        fmt::print("token {} revoked\n", args.token_id);
        break;
    }
  });
}

void add_password_file_option(CLI::App* command, AdminArgs& args) {
  command
      ->add_option("--password-file", args.password_file,
                   "read the password from this file's first line (\"-\": standard input)")
      ->type_name("FILE");
}

}  // namespace

void add_admin_commands(CLI::App& app, std::function<int(const Context&)>& action) {
  auto args = std::make_shared<AdminArgs>();
  auto* admin = app.add_subcommand("admin", "admin console and API accounts, API tokens, the audit log");
  admin->footer(kAdminFooter);
  admin->require_subcommand(1);
  auto bind = [&action, args](CLI::App* command, int (*run)(const Context&, const AdminArgs&)) {
    command->callback([&action, args, run] { action = [args, run](const Context& c) { return run(c, *args); }; });
  };

  auto* add = admin->add_subcommand("add", "create an account (the password is asked, see below)");
  add->add_option("login", args->login, "the new account's login")->required()->type_name("LOGIN");
  add->add_option("--role", args->role, "admin (everything) or viewer (read only)")
      ->required()
      ->check(CLI::IsMember({"admin", "viewer"}))
      ->type_name("ROLE");
  add_password_file_option(add, *args);
  add->footer(kAdminFooter);
  bind(add, admin_add);

  auto* passwd = admin->add_subcommand("passwd", "set a new password (ends the account's sessions)");
  passwd->add_option("login", args->login, "the account")->required()->type_name("LOGIN");
  add_password_file_option(passwd, *args);
  passwd->footer(kAdminFooter);
  bind(passwd, admin_passwd);

  auto* remove = admin->add_subcommand("remove", "delete an account with its sessions and tokens");
  remove->add_option("login", args->login, "the account")->required()->type_name("LOGIN");
  bind(remove, admin_remove);

  auto* disable = admin->add_subcommand("disable", "refuse an account's logins, sessions and tokens until enabled");
  disable->add_option("login", args->login, "the account")->required()->type_name("LOGIN");
  bind(disable, [](const Context& c, const AdminArgs& a) { return admin_set_disabled(c, a, true); });

  auto* enable = admin->add_subcommand("enable", "let a disabled account in again");
  enable->add_option("login", args->login, "the account")->required()->type_name("LOGIN");
  bind(enable, [](const Context& c, const AdminArgs& a) { return admin_set_disabled(c, a, false); });

  auto* list = admin->add_subcommand("list", "list the accounts");
  list->add_option("--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");
  bind(list, admin_list);

  auto* audit = admin->add_subcommand("audit", "show the audit log, newest first");
  audit->add_option("--limit", args->limit, "at most N entries (default 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  audit->add_option("--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");
  bind(audit, admin_audit);

  auto* token = admin->add_subcommand("token", "API tokens for scripts");
  token->require_subcommand(1);
  token->footer(kTokenFooter);

  auto* create = token->add_subcommand("create", "create a token and print it once");
  create->add_option("login", args->login, "the account the token acts as")->required()->type_name("LOGIN");
  create->add_option("--name", args->token_name, "what the token is for (shown in lists and the audit log)")
      ->required()
      ->type_name("NAME");
  create->add_option("--expires-days", args->expires_days, "valid for N days (default: until revoked)")
      ->type_name("N")
      ->check(CLI::Range(1, 3650));
  create->add_option("--role", args->role, "viewer, or admin for an admin account (default: the account's role)")
      ->check(CLI::IsMember({"admin", "viewer"}))
      ->type_name("ROLE");
  create->footer(kTokenFooter);
  bind(create, token_create);

  auto* token_list_command = token->add_subcommand("list", "list tokens (of one account when LOGIN is given)");
  token_list_command->add_option("login", args->login, "only this account's tokens")->type_name("LOGIN");
  token_list_command->add_option("--format", args->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");
  bind(token_list_command, token_list);

  auto* revoke = token->add_subcommand("revoke", "revoke a token at once");
  revoke->add_option("id", args->token_id, "the token's id (from `admin token list`)")->required()->type_name("ID");
  bind(revoke, token_revoke);
}

}  // namespace mailprune::cli
