#include "harness/cyrus_server.hpp"

#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "harness/maildir.hpp"  // encode_modified_utf7

namespace mailprune::test {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCyrusBin = "/usr/lib/cyrus/bin";  // cyrus-common
constexpr const char* kServerName = "localhost";         // also the SASL realm of names without '@'
// One MULTIAPPEND carries at most this much: a few round trips per folder, bounded memory.
constexpr std::size_t kBatchMessages = 200;
constexpr std::size_t kBatchBytes = 16u << 20;

std::string cyrus_root() {
  const char* root = std::getenv("MAILPRUNE_CYRUS_ROOT");
  return root != nullptr && *root != '\0' ? root : "/usr/local/lib/mailprune-test/cyrus-imapd";
}

std::string imapd_path() {
  return cyrus_root() + "/usr/lib/cyrus/bin/imapd";
}

std::string saslpasswd2_path() {
  std::string found = platform::find_in_path("saslpasswd2");
  return found.empty() ? "/usr/sbin/saslpasswd2" : found;
}

void require_executable(const std::string& path, const std::string& hint) {
  if (::access(path.c_str(), X_OK) != 0) throw std::runtime_error(path + " not found: " + hint);
}

void check_user_name(const std::string& name) {
  // '/' is the hierarchy separator; Cyrus maps '.' itself. One '@' at most (virtual domain).
  if (name.empty() || name.find_first_of("/\\\"*%:\t\r\n ") != std::string::npos || name.find('@') != name.rfind('@') ||
      name.front() == '@' || name.back() == '@') {
    throw std::invalid_argument("unusable test user name '" + name + "'");
  }
}

bool is_inbox(const std::string& folder) {
  return folder.size() == 5 && ::strncasecmp(folder.c_str(), "INBOX", 5) == 0;
}

// One APPEND message: "(\Seen) "02-Mar-2021 10:00:00 +0000" {n+}\r\n<raw>" (LITERAL+: no waiting
// for a continuation between messages).
void add_append_message(std::string& command, std::string_view raw, const std::vector<std::string>& flags,
                        std::time_t internal_date) {
  command += " (";
  bool first = true;
  for (const auto& flag : flags) {
    if (flag == "\\Recent") continue;  // session state, not settable
    if (!first) command += ' ';
    command += flag;
    first = false;
  }
  command +=
      ") " + ImapTestClient::quote(imap_internal_date(internal_date)) + " {" + std::to_string(raw.size()) + "+}\r\n";
  command.append(raw);
}

}  // namespace

std::string sasl_plain_response(const std::string& authzid, const std::string& authcid, const std::string& password) {
  std::string plain = authzid;
  plain += '\0';
  plain += authcid;
  plain += '\0';
  plain += password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string imap_internal_date(std::time_t time) {
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

CyrusServer::CyrusServer(CyrusOptions options) : options_(std::move(options)), dir_("cyrus") {
  require_executable(std::string(kCyrusBin) + "/master", "install cyrus-common (run scripts/setup)");
  require_executable(std::string(kCyrusBin) + "/ctl_cyrusdb", "install cyrus-common (run scripts/setup)");
  require_executable(imapd_path(),
                     "run scripts/setup (it unpacks cyrus-imapd there, as its package conflicts with "
                     "dovecot-imapd), or set MAILPRUNE_CYRUS_ROOT");
  require_executable(saslpasswd2_path(), "install sasl2-bin (run scripts/setup)");
  // cyrus.conf splits cmd="..." at spaces, with no quoting.
  if (dir_.path().find_first_of(" \"'") != std::string::npos) {
    throw std::runtime_error("Cyrus cannot use a temp dir with spaces or quotes: " + dir_.path());
  }
  if (options_.admin_password.empty()) options_.admin_password = random_hex(20);
  check_user_name(options_.admin_user);

  // Cyrus creates none of its config directory's subdirectories itself (mkimap's job).
  dir_.make_subdir("conf", true, 0750);
  for (const char* sub : {"db", "proc", "lock", "log", "msg", "ptclient", "quota", "socket", "sync", "user"}) {
    dir_.make_subdir(std::string("conf/") + sub, true, 0750);
  }
  dir_.make_subdir("spool", true, 0750);
  dir_.make_subdir("sieve", true, 0750);
  dir_.make_subdir("run", true, 0750);
  certificate_ = make_test_certificate(dir_.make_subdir("tls", false, 0711));
  give_to_test_account(certificate_.key_path);  // imapd reads it as the test account
  give_to_test_account(certificate_.cert_path);
  config_path_ = dir_ / "imapd.conf";
  cyrus_conf_path_ = dir_ / "cyrus.conf";
  write_config();
  set_sasl_password(options_.admin_user, options_.admin_password);

  // One log for master's stdout/stderr (opened by us) and every process's syslog (appended by
  // them, as the test account): create it theirs.
  const std::string log = dir_ / "cyrus.log";
  std::vector<std::string> env = {"TZ=UTC", "MAILPRUNE_SYSLOG_FILE=" + log};
  std::string note = "(syslog_to_file.so not built: Cyrus's syslog messages are lost)\n";
#ifdef MAILPRUNE_SYSLOG_TO_FILE_LIBRARY
  // A copy in the temp dir: the build tree may not be readable by the test account.
  if (::access(MAILPRUNE_SYSLOG_TO_FILE_LIBRARY, R_OK) == 0) {
    const std::string shim = dir_ / "syslog_to_file.so";
    fs::copy_file(MAILPRUNE_SYSLOG_TO_FILE_LIBRARY, shim, fs::copy_options::overwrite_existing);
    fs::permissions(shim, fs::perms(0755));
    env.push_back("LD_PRELOAD=" + shim);
    note.clear();
  }
#endif
  write_file(log, note, 0640);
  give_to_test_account(log);

  for (int attempt = 1;; ++attempt) {
    imap_port_ = free_port();
    do {
      imaps_port_ = free_port();
    } while (imaps_port_ == imap_port_);
    // Every block must span lines: `EVENTS { }` on one line makes master start no service, silently.
    // Master passes neither -C nor its environment's config to commands: each names imapd.conf.
    std::ostringstream c;
    c << "# Written by the mailprune test harness (tests/harness/cyrus_server.cpp); throwaway.\n"
      << "START {\n"
      << "  recover cmd=\"" << kCyrusBin << "/ctl_cyrusdb -C " << config_path_ << " -r\"\n"
      << "}\n"
      << "SERVICES {\n"
      << "  imap cmd=\"" << imapd_path() << " -C " << config_path_ << "\" listen=\"" << host_ << ":" << imap_port_
      << "\" prefork=0\n"
      << "  imaps cmd=\"" << imapd_path() << " -s -C " << config_path_ << "\" listen=\"" << host_ << ":" << imaps_port_
      << "\" prefork=0\n"
      << "}\n"
      << "EVENTS {\n}\n"
      << "DAEMON {\n}\n";
    write_file(cyrus_conf_path_, c.str(), 0644);

    platform::SpawnOptions spawn;
    const std::string master = std::string(kCyrusBin) + "/master";
    spawn.argv = {master, "-D", "-C", config_path_, "-M", cyrus_conf_path_, "-p", dir_ / "run/master.pid"};
    spawn.extra_env = env;  // TZ=UTC: INTERNALDATE is shown in the server's zone
    spawn.run_as = run_as_test_account();
    server_.start(spawn, "cyrus", log, SIGTERM, SIGTERM);
    auto ready = [this] { return read_greeting(imap_port_).rfind("* OK", 0) == 0; };
    if (server_.wait_until(ready, options_.start_timeout) == ServerProcess::Outcome::ready) {
      // Master logs a failed bind and runs on without that service: prove the TLS port is ours.
      try {
        ImapTestClient::connect_tls(imaps_port_, certificate_.ca_path, host_);
        return;
      } catch (const std::exception& e) {
        server_.stop();
        if (attempt == 5) fail(std::string("TLS port never answered with our certificate: ") + e.what());
        continue;
      }
    }
    if (attempt == 5) fail("exited during startup 5 times");
  }
}

CyrusServer::~CyrusServer() {
  stop();
}

void CyrusServer::stop() {
  server_.stop();
}

void CyrusServer::write_config() const {
  std::ostringstream c;
  c << "# Written by the mailprune test harness (tests/harness/cyrus_server.cpp); throwaway.\n"
    << "configdirectory: " << (dir_ / "conf") << "\n"
    << "defaultpartition: default\n"
    << "partition-default: " << (dir_ / "spool") << "\n"
    << "sievedir: " << (dir_ / "sieve") << "\n"
    << "lmtpsocket: " << (dir_ / "run/lmtp") << "\n"
    << "idlesocket: " << (dir_ / "run/idle") << "\n"
    << "notifysocket: " << (dir_ / "run/notify")
    << "\n"
    // Cyrus switches to this account when started as root, and insists on it otherwise.
    << "cyrus_user: " << test_account().name << "\n"
    << "servername: " << kServerName << "\n"
    << "admins: " << options_.admin_user << "\n"
    << "unixhierarchysep: yes\n"
    << "altnamespace: " << (options_.alt_namespace ? "yes" : "no") << "\n"
    << "virtdomains: userid\n"
    << "allowplaintext: yes\n"
    << "sasl_pwcheck_method: auxprop\n"
    << "sasl_auxprop_plugin: sasldb\n"
    << "sasl_sasldb_path: " << (dir_ / "conf/sasldb2") << "\n"
    << "sasl_mech_list: PLAIN LOGIN\n"
    // Tests try wrong passwords on purpose: no 3 s pause after each failure.
    << "failedloginpause: 0\n"
    // Throwaway state: no fsync of the skiplist databases (mailboxes.db, seen, quota...).
    << "skiplist_unsafe: yes\n"
    << "tls_server_cert: " << certificate_.cert_path << "\n"
    << "tls_server_key: " << certificate_.key_path
    << "\n"
    // Keep messages byte for byte: RFC822.SIZE must equal what was delivered.
    << "munge8bit: no\n"
    << "reject8bit: no\n";
  for (const auto& line : options_.extra_config) c << line << "\n";
  write_file(config_path_, c.str(), 0644);
}

void CyrusServer::set_sasl_password(const std::string& name, const std::string& password) const {
  if (password.empty() || password.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    throw std::invalid_argument("unusable test password for '" + name + "'");
  }
  // "alice@example.org" is sasldb's user "alice" in realm "example.org"; a bare name's realm is the
  // server name, which is what imapd's SASL appends when looking it up.
  const auto at = name.rfind('@');
  const std::string local = at == std::string::npos ? name : name.substr(0, at);
  const std::string realm = at == std::string::npos ? kServerName : name.substr(at + 1);
  // saslpasswd2 -p reads the password from stdin; run() gives children /dev/null, so a shell pipes
  // it in from the environment (never from the command line, which `ps` shows).
  run_checked({"/bin/sh", "-c", R"(printf '%s' "$MAILPRUNE_SASL_PASSWORD" | exec "$1" -p -c -f "$2" -u "$3" "$4")",
               "sh", saslpasswd2_path(), dir_ / "conf/sasldb2", realm, local},
              run_as_test_account(), {"MAILPRUNE_SASL_PASSWORD=" + password});
}

void CyrusServer::add_user(const std::string& name, const std::string& password) {
  add_users({{name, password}});
}

void CyrusServer::add_users(const std::vector<std::pair<std::string, std::string>>& users) {
  if (users.empty()) return;
  for (const auto& [name, password] : users) {
    check_user_name(name);
    set_sasl_password(name, password);  // sasldb is read at each login: no reload needed
  }
  auto admin = connect_admin();
  for (const auto& [name, password] : users) {
    const std::string inbox = ImapTestClient::quote("user/" + name);
    auto created = admin.command("CREATE " + inbox);
    if (!created.ok() && created.tagged.find("[ALREADYEXISTS]") == std::string::npos) {
      fail("CREATE user/" + name + " refused: " + created.tagged);
    }
    if (options_.quota_kib > 0) {
      auto quota = admin.command("SETQUOTA " + inbox + " (STORAGE " + std::to_string(options_.quota_kib) + ")");
      if (!quota.ok()) fail("SETQUOTA user/" + name + " refused: " + quota.tagged);
    }
    users_[name] = password;
  }
}

std::string CyrusServer::mailbox_name(const std::string& folder) const {
  if (is_inbox(folder)) return "INBOX";
  const std::string name = encode_modified_utf7(folder);
  return options_.alt_namespace ? name : "INBOX/" + name;
}

ImapTestClient CyrusServer::connect_admin() const {
  auto client = ImapTestClient::connect_plain(imap_port_);
  auto reply = client.command("LOGIN " + ImapTestClient::quote(options_.admin_user) + " " +
                              ImapTestClient::quote(options_.admin_password));
  if (!reply.ok()) fail("admin LOGIN refused: " + reply.tagged);
  return client;
}

ImapTestClient CyrusServer::connect_as(const std::string& user) const {
  auto client = ImapTestClient::connect_plain(imap_port_);
  // SASL-IR (advertised): the initial response on the command line, no continuation round trip.
  auto reply =
      client.command("AUTHENTICATE PLAIN " + sasl_plain_response(user, options_.admin_user, options_.admin_password));
  if (!reply.ok()) fail("AUTHENTICATE PLAIN as " + user + " by " + options_.admin_user + " refused: " + reply.tagged);
  return client;
}

void CyrusServer::create_folder(const std::string& user, const std::string& folder) {
  create_folders(user, {folder});
}

void CyrusServer::create_folders(const std::string& user, const std::vector<std::string>& folders) {
  if (!has_user(user)) throw std::invalid_argument("no such test user '" + user + "'");
  auto session = connect_as(user);
  create_folders(session, user, folders);
}

void CyrusServer::create_folders(ImapTestClient& session, const std::string& user,
                                 const std::vector<std::string>& folders) {
  auto& known = folders_[user];
  for (const auto& folder : folders) {
    // Cyrus creates only the named mailbox, not missing parents: create them first.
    for (const auto& name : folder_with_parents(folder)) {
      if (is_inbox(name) || known.count(name) > 0) continue;
      const std::string quoted = ImapTestClient::quote(mailbox_name(name));
      auto created = session.command("CREATE " + quoted);
      if (!created.ok() && created.tagged.find("[ALREADYEXISTS]") == std::string::npos) {
        fail("CREATE " + name + " for " + user + " refused: " + created.tagged);
      }
      auto subscribed = session.command("SUBSCRIBE " + quoted);
      if (!subscribed.ok()) fail("SUBSCRIBE " + name + " for " + user + " refused: " + subscribed.tagged);
      known.insert(name);
    }
  }
}

void CyrusServer::deliver(const std::string& user, const std::string& folder, std::string_view raw_message,
                          const std::vector<std::string>& flags, std::time_t internal_date) {
  if (!has_user(user)) throw std::invalid_argument("no such test user '" + user + "'");
  auto session = connect_as(user);
  create_folders(session, user, {folder});
  std::string command = "APPEND " + ImapTestClient::quote(mailbox_name(folder));
  add_append_message(command, raw_message, flags, internal_date);
  auto reply = session.command(command);
  if (!reply.ok()) fail("APPEND to " + folder + " of " + user + " refused: " + reply.tagged);
}

LoadResult CyrusServer::load(const std::string& manifest_dir, const std::string& password) {
  return load(read_sample_mail(manifest_dir), password);
}

LoadResult CyrusServer::load(const SampleMailSet& set, const std::string& password, bool skip_damaged) {
  const auto start = std::chrono::steady_clock::now();
  LoadResult result;
  std::vector<std::pair<std::string, std::string>> new_users;
  for (const auto& user : set.users) {
    if (!has_user(user)) new_users.emplace_back(user, password);
  }
  add_users(new_users);

  // user -> folder -> messages, in manifest order (so UIDs follow the files' numbering).
  std::map<std::string, std::map<std::string, std::vector<const SampleMessage*>>> by_user;
  for (const auto& f : set.folders) by_user[f.user][f.folder];
  for (const auto& m : set.messages) {
    if (skip_damaged && m.damaged) continue;
    by_user[m.user][m.folder].push_back(&m);
  }
  for (const auto& [user, folders] : by_user) {
    if (!has_user(user)) throw std::runtime_error("load: manifest has mail for unknown user '" + user + "'");
    auto session = connect_as(user);
    session.timeout = std::chrono::minutes(2);  // a batch is up to 16 MiB, each message fsynced
    std::vector<std::string> names;
    for (const auto& entry : folders) names.push_back(entry.first);
    create_folders(session, user, names);
    result.folders += folders.size();

    for (const auto& [folder, messages] : folders) {
      const std::string mailbox = ImapTestClient::quote(mailbox_name(folder));
      for (std::size_t i = 0; i < messages.size();) {
        std::string command = "APPEND " + mailbox;
        std::size_t batch = 0;
        for (; i < messages.size() && batch < kBatchMessages && command.size() < kBatchBytes; ++i, ++batch) {
          const std::string raw = read_file(messages[i]->path);
          add_append_message(command, raw, messages[i]->flags, messages[i]->internal_date);
          result.bytes += raw.size();
        }
        auto reply = session.command(command);
        if (!reply.ok()) {
          fail("load: APPEND of " + std::to_string(batch) + " messages to " + folder + " of " + user +
               " refused: " + reply.tagged);
        }
        result.messages += batch;
      }
      // STATUS, from the server, proves the messages landed where the manifest says.
      auto status = session.command("STATUS " + mailbox + " (MESSAGES)");
      const std::string line = status.find("(MESSAGES ");
      const std::size_t found = line.empty() ? 0 : std::stoul(line.substr(line.find("(MESSAGES ") + 10));
      if (found < messages.size()) {
        fail("load: Cyrus sees " + std::to_string(found) + " messages in " + folder + " of " + user +
             ", expected at least " + std::to_string(messages.size()) + " (" + status.tagged + ")");
      }
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace mailprune::test
