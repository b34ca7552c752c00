#include "harness/maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace mailprune::test {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    int length = byte < 0x80 ? 1 : (byte >> 5) == 6 ? 2 : (byte >> 4) == 14 ? 3 : (byte >> 3) == 30 ? 4 : 0;
    if (length == 0 || i + length > text.size()) throw std::invalid_argument("invalid UTF-8 in mailbox name");
    char32_t cp = length == 1 ? byte : byte & (0x7f >> length);
    for (int k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) throw std::invalid_argument("invalid UTF-8 in mailbox name");
      cp = (cp << 6) | (next & 0x3f);
    }
    out.push_back(cp);
    i += length;
  }
  return out;
}

void flush_utf16(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  // Modified base64: ',' instead of '/', no padding.
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
  std::string bytes;
  for (auto u : units) {
    bytes.push_back(static_cast<char>(u >> 8));
    bytes.push_back(static_cast<char>(u & 0xff));
  }
  out.push_back('&');
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
  out.push_back('-');
  units.clear();
}

}  // namespace

std::string encode_modified_utf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> pending;
  for (char32_t cp : decode_utf8(utf8)) {
    if (cp >= 0x20 && cp <= 0x7e) {
      flush_utf16(out, pending);
      out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xd800 + (cp >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush_utf16(out, pending);
  return out;
}

std::string maildir_folder_path(const std::string& maildir, const std::string& folder) {
  if (folder == "INBOX") return maildir;
  std::string name;
  std::size_t start = 0;
  while (start <= folder.size()) {
    auto end = folder.find('/', start);
    if (end == std::string::npos) end = folder.size();
    std::string component = folder.substr(start, end - start);
    if (component.empty() || component.find('.') != std::string::npos) {
      throw std::invalid_argument("Maildir++ cannot store folder '" + folder + "'");
    }
    name += "." + encode_modified_utf7(component);
    start = end + 1;
  }
  return maildir + "/" + name;
}

std::string maildir_flag_letters(const std::vector<std::string>& imap_flags) {
  std::string letters;
  for (const auto& flag : imap_flags) {
    std::string lower;
    for (char c : flag) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "\\seen")
      letters += 'S';
    else if (lower == "\\flagged")
      letters += 'F';
    else if (lower == "\\answered")
      letters += 'R';
    else if (lower == "\\deleted")
      letters += 'T';
    else if (lower == "\\draft")
      letters += 'D';
    else
      throw std::invalid_argument("unsupported flag for direct Maildir delivery: " + flag);
  }
  std::sort(letters.begin(), letters.end());
  letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
  return letters;
}

std::uint64_t crlf_size(std::string_view message) {
  std::uint64_t size = message.size();
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) ++size;
  }
  return size;
}

void make_maildir(const std::string& dir, bool is_root, const MaildirOwner& owner) {
  auto make = [&owner](const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0) {
      if (errno == EEXIST) return;
      throw_errno("mkdir " + path);
    }
    if (::chown(path.c_str(), owner.uid, owner.gid) != 0) throw_errno("chown " + path);
  };
  make(dir);
  for (const char* sub : {"/cur", "/new", "/tmp"}) make(dir + sub);
  if (!is_root) {
    std::string marker = dir + "/maildirfolder";
    int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("create " + marker);
    int err = ::fchown(fd, owner.uid, owner.gid) != 0 ? errno : 0;
    ::close(fd);
    if (err != 0) throw std::system_error(err, std::generic_category(), "chown " + marker);
  }
}

std::string write_maildir_message(const std::string& dir, std::string_view message,
                                  const std::vector<std::string>& imap_flags, std::time_t internal_date,
                                  const MaildirOwner& owner) {
  static std::atomic<std::uint64_t> sequence{0};
  const std::string flags = maildir_flag_letters(imap_flags);
  const std::string base = std::to_string(internal_date) + ".M" + std::to_string(sequence++) + "P" +
                           std::to_string(::getpid()) + ".mailprune,S=" + std::to_string(message.size()) +
                           ",W=" + std::to_string(crlf_size(message));
  const std::string temp = dir + "/tmp/" + base;
  const std::string final_path = dir + "/cur/" + base + ":2," + flags;

  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("create " + temp);
  int err = 0;
  for (std::size_t done = 0; done < message.size() && err == 0;) {
    ssize_t n = ::write(fd, message.data() + done, message.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (err == 0 && ::fchown(fd, owner.uid, owner.gid) != 0) err = errno;
  const timespec times[2] = {{internal_date, 0}, {internal_date, 0}};
  if (err == 0 && ::futimens(fd, times) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), final_path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    throw std::system_error(err, std::generic_category(), "deliver into " + dir);
  }
  return final_path;
}

}  // namespace mailprune::test
