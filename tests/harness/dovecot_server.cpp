#include "harness/dovecot_server.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mailprune::test {
namespace fs = std::filesystem;

namespace {

void check_user_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find_first_of("/:*\t\r\n ") != std::string::npos) {
    throw std::invalid_argument("unusable test user name '" + name + "'");
  }
}

}  // namespace

DovecotServer::DovecotServer(DovecotOptions options) : options_(std::move(options)), dir_("dovecot") {
  if (platform::find_in_path("dovecot").empty() && ::access("/usr/sbin/dovecot", X_OK) != 0) {
    throw std::runtime_error("dovecot not found; install dovecot-imapd (run scripts/setup)");
  }
  if (options_.lmtp && ::access("/usr/lib/dovecot/lmtp", X_OK) != 0) {
    throw std::runtime_error("Dovecot's LMTP server not found; install dovecot-lmtpd (run scripts/setup)");
  }
  if (options_.master_password.empty()) options_.master_password = random_hex(20);
  dir_.make_subdir("run", false, 0755);
  dir_.make_subdir("state", false, 0755);
  dir_.make_subdir("etc", false, 0755);
  dir_.make_subdir("mail", false, 0711);
  certificate_ = make_test_certificate(dir_.make_subdir("tls", false, 0700));
  config_path_ = dir_ / "etc/dovecot.conf";
  write_users();

  for (int attempt = 1;; ++attempt) {
    imap_port_ = free_port();
    do {
      imaps_port_ = free_port();
    } while (imaps_port_ == imap_port_);
    if (options_.lmtp) {
      do {
        lmtp_port_ = free_port();
      } while (lmtp_port_ == imap_port_ || lmtp_port_ == imaps_port_);
    }
    write_config();
    platform::SpawnOptions spawn;
    const std::string dovecot = platform::find_in_path("dovecot");
    spawn.argv = {dovecot.empty() ? "/usr/sbin/dovecot" : dovecot, "-F", "-c", config_path_};
    spawn.extra_env = {"TZ=UTC"};  // INTERNALDATE is shown in the server's zone: make it predictable
    // The master runs as root and drops privileges itself; SIGTERM stops it and its children.
    server_.start(spawn, "dovecot", dir_ / "dovecot.log", SIGTERM, SIGTERM);
    auto ready = [this] {
      return read_greeting(imap_port_).rfind("* OK", 0) == 0 &&
             (lmtp_port_ == 0 || read_greeting(lmtp_port_).rfind("220 ", 0) == 0);
    };
    if (server_.wait_until(ready, options_.start_timeout) == ServerProcess::Outcome::ready) return;
    if (attempt == 5) server_.fail("exited during startup 5 times");
  }
}

DovecotServer::~DovecotServer() {
  stop();
}

void DovecotServer::stop() {
  server_.stop();
}

MaildirOwner DovecotServer::owner() const {
  if (!platform::running_as_root()) return {};
  return {test_account().uid, test_account().gid};
}

std::string DovecotServer::home_of(const std::string& user) const {
  return dir_ / ("mail/" + user);
}

void DovecotServer::write_config() {
  const bool root = platform::running_as_root();
  const auto& account = test_account();
  std::ostringstream c;
  c << "# Written by the mailprune test harness (tests/harness/dovecot_server.cpp); throwaway.\n"
    << "instance_name = " << fs::path(dir_.path()).filename().string() << "\n"
    << "base_dir = " << (dir_ / "run") << "\n"
    << "state_dir = " << (dir_ / "state") << "\n"
    << "log_path = " << (dir_ / "dovecot.log") << "\n"
    << "protocols = imap" << (options_.lmtp ? " lmtp" : "") << "\n"
    << "listen = " << host_ << "\n"
    << "ssl = yes\n"
    << "ssl_cert = <" << certificate_.cert_path << "\n"
    << "ssl_key = <" << certificate_.key_path << "\n"
    << "ssl_min_protocol = TLSv1.2\n";
  if (::access("/usr/share/dovecot/dh.pem", R_OK) == 0) c << "ssl_dh = </usr/share/dovecot/dh.pem\n";
  c << "disable_plaintext_auth = no\n"
    << "auth_mechanisms = plain login\n"
    << "auth_master_user_separator = *\n"
    << "auth_verbose = yes\n"
    << "auth_cache_size = 0\n"
    // Tests try wrong passwords on purpose: no failure delay, and no "auth penalty" (which delays
    // every later login from the IP by 2 s, doubling): the documented way to turn it off is to
    // close anvil's penalty socket.
    << "auth_failure_delay = 0\n"
    << "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n"
    << (root ? "" : "  chroot =\n") << "}\n";
  if (root) {
    c << "default_internal_user = dovecot\n"
      << "default_internal_group = dovecot\n"
      << "default_login_user = dovenull\n";
  } else {
    // Unprivileged: every process runs as us, and nothing can chroot.
    c << "default_internal_user = " << account.name << "\n"
      << "default_internal_group = " << account.name << "\n"
      << "default_login_user = " << account.name << "\n"
      << "service imap-login {\n  chroot =\n}\n";
  }
  c << "first_valid_uid = " << account.uid << "\n"
    << "last_valid_uid = 0\n"
    << "first_valid_gid = 1\n"
    << "mail_location = maildir:~/Maildir\n"
    << "mailbox_list_index = yes\n"
    << "namespace inbox {\n  inbox = yes\n  separator = /\n  prefix =\n}\n"
    << "passdb {\n  driver = passwd-file\n  args = " << (dir_ / "etc/master-users")
    << "\n  master = yes\n  pass = yes\n}\n"
    << "passdb {\n  driver = passwd-file\n  args = " << (dir_ / "etc/users") << "\n}\n"
    << "userdb {\n  driver = passwd-file\n  args = " << (dir_ / "etc/users") << "\n"
    << "  default_fields = uid=" << account.uid << " gid=" << account.gid << " home=" << (dir_ / "mail") << "/%u\n"
    << "}\n"
    << "service imap-login {\n"
    << "  inet_listener imap {\n    address = " << host_ << "\n    port = " << imap_port_ << "\n  }\n"
    << "  inet_listener imaps {\n    address = " << host_ << "\n    port = " << imaps_port_ << "\n    ssl = yes\n  }\n"
    << "}\n";
  if (options_.lmtp) {
    // Recipients are full addresses, as in the passwd-file; delivery goes to INBOX.
    c << "service lmtp {\n  inet_listener lmtp {\n    address = " << host_ << "\n    port = " << lmtp_port_
      << "\n  }\n}\n"
      << "lmtp_save_to_detail_mailbox = no\n";
  }
  std::string plugins = options_.quota ? "quota" : "";
  std::string imap_plugins;
  if (options_.quota) imap_plugins += " imap_quota";
  if (options_.compress) imap_plugins += " imap_zlib";
  c << "mail_plugins = " << plugins << "\n"
    << "protocol imap {\n  mail_plugins = $mail_plugins" << imap_plugins << "\n"
    << "  mail_max_userip_connections = " << options_.max_connections_per_user << "\n}\n";
  if (options_.quota) {
    c << "plugin {\n  quota = count:User quota\n  quota_rule = *:storage=100G\n  quota_vsizes = yes\n}\n";
  }
  for (const auto& line : options_.extra_config) c << line << "\n";
  write_file(config_path_, c.str(), 0644);
}

void DovecotServer::write_users() const {
  std::string users;
  for (const auto& [name, password] : users_) users += name + ":{PLAIN}" + password + "::::::\n";
  const std::string master = options_.master_user + ":{PLAIN}" + options_.master_password + "::::::\n";
  // Read by the auth process, which runs as default_internal_user (dovecot) when we are root.
  gid_t group = static_cast<gid_t>(-1);
  if (platform::running_as_root()) {
    if (auto dovecot = platform::find_account("dovecot")) group = dovecot->gid;
  }
  for (const auto& [file, content] :
       {std::pair{dir_ / "etc/users", users}, std::pair{dir_ / "etc/master-users", master}}) {
    write_file(file, content, group == static_cast<gid_t>(-1) ? 0600 : 0640);
    if (group != static_cast<gid_t>(-1) && ::chown(file.c_str(), 0, group) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + file);
    }
  }
}

void DovecotServer::add_user(const std::string& name, const std::string& password) {
  add_users({{name, password}});
}

void DovecotServer::add_users(const std::vector<std::pair<std::string, std::string>>& users) {
  const auto who = owner();
  for (const auto& [name, password] : users) {
    check_user_name(name);
    if (password.empty() || password.find_first_of(":\r\n") != std::string::npos) {
      throw std::invalid_argument("unusable test password for '" + name + "'");
    }
    const std::string home = home_of(name);
    if (::mkdir(home.c_str(), 0700) == 0) {
      if (::chown(home.c_str(), who.uid, who.gid) != 0) {
        throw std::system_error(errno, std::generic_category(), "chown " + home);
      }
    } else if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(), "mkdir " + home);
    }
    make_maildir(maildir_of(name), true, who);
    users_[name] = password;
  }
  write_users();
  if (!server_.running() || users.empty()) return;
  // Dovecot stats the passwd-file at most once a second, so a user added right after a lookup is
  // unknown for up to a second: wait until the auth service knows them (one reload covers all).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const auto& user : users) {
    while (platform::run({"doveadm", "-c", config_path_, "user", user.first}).exit_code != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        server_.fail("user '" + user.first + "' not known to Dovecot 5 s after adding it");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void DovecotServer::create_folder(const std::string& user, const std::string& folder) {
  create_folders(user, {folder});
}

void DovecotServer::create_folders(const std::string& user, const std::vector<std::string>& folders) {
  if (!has_user(user)) throw std::invalid_argument("no such test user '" + user + "'");
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const auto& folder : folders) {
    for (const auto& name : folder_with_parents(folder)) {
      if (name == "INBOX" || !seen.insert(name).second) continue;
      if (!fs::exists(folder_dir(user, name))) missing.push_back(name);
    }
  }
  if (missing.empty()) return;
  std::vector<std::string> args = {"mailbox", "create", "-s", "-u", user};
  args.insert(args.end(), missing.begin(), missing.end());
  doveadm(args);
  // Our modified UTF-7 path must be where Dovecot put it: deliver() writes there directly.
  for (const auto& name : missing) {
    if (!fs::is_directory(folder_dir(user, name) + "/cur")) {
      throw std::runtime_error("doveadm created '" + name + "' but not at " + folder_dir(user, name));
    }
  }
}

void DovecotServer::deliver(const std::string& user, const std::string& folder, std::string_view raw_message,
                            const std::vector<std::string>& flags, std::time_t internal_date) {
  if (!has_user(user)) throw std::invalid_argument("no such test user '" + user + "'");
  const std::string dir = folder_dir(user, folder);
  if (folder != "INBOX" && !fs::is_directory(dir + "/cur")) create_folder(user, folder);
  write_maildir_message(dir, raw_message, flags, internal_date, owner());
}

std::string DovecotServer::doveadm(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"doveadm", "-c", config_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv);
}

LoadResult DovecotServer::load(const std::string& manifest_dir, const std::string& password) {
  return load(read_sample_mail(manifest_dir), password);
}

LoadResult DovecotServer::load(const SampleMailSet& set, const std::string& password, bool skip_damaged) {
  const auto start = std::chrono::steady_clock::now();
  LoadResult result;
  std::vector<std::pair<std::string, std::string>> new_users;
  for (const auto& user : set.users) {
    if (!has_user(user)) new_users.emplace_back(user, password);
  }
  add_users(new_users);
  std::map<std::string, std::vector<std::string>> folders_by_user;
  for (const auto& f : set.folders) folders_by_user[f.user].push_back(f.folder);
  for (const auto& m : set.messages) folders_by_user[m.user].push_back(m.folder);
  for (const auto& [user, folders] : folders_by_user) {
    create_folders(user, folders);
    result.folders += std::set<std::string>(folders.begin(), folders.end()).size();
  }
  std::map<std::pair<std::string, std::string>, std::size_t> expected;
  for (const auto& m : set.messages) {
    if (skip_damaged && m.damaged) continue;
    const std::string raw = read_file(m.path);
    write_maildir_message(folder_dir(m.user, m.folder), raw, m.flags, m.internal_date, owner());
    ++expected[{m.user, m.folder}];
    ++result.messages;
    result.bytes += crlf_size(raw);
  }
  // One doveadm for everything: it syncs (indexes) every folder of every user, and its counts
  // prove each message landed where the manifest says.
  std::istringstream status(doveadm({"-f", "tab", "mailbox", "status", "-A", "messages", "*"}));
  std::string line;
  std::getline(status, line);  // header: username mailbox messages
  std::map<std::pair<std::string, std::string>, std::size_t> found;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string user, folder, count;
    if (!std::getline(fields, user, '\t') || !std::getline(fields, folder, '\t') || !std::getline(fields, count)) {
      continue;
    }
    if (count != "0") found[{user, folder}] = std::stoul(count);
  }
  for (const auto& [key, count] : expected) {
    auto it = found.find(key);
    if (it == found.end() || it->second < count) {
      throw std::runtime_error("load: Dovecot sees " + std::to_string(it == found.end() ? 0 : it->second) +
                               " messages in " + key.first + " " + key.second + ", expected at least " +
                               std::to_string(count));
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace mailprune::test
