#include "notify/smtp_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace mailprune::notify {
namespace {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One complete server reply: its code (0 when the line had none) and its lines joined by "\n".
struct Reply {
  int code = 0;
  std::string text;
};

// What one transaction saw: the server's replies (from libcurl's debug stream: only what came
// in, never our own lines, which carry AUTH secrets) and how far the upload went.
struct Transaction {
  std::string_view message;
  std::size_t offset = 0;
  bool upload_done = false;            // the read callback reported the end of the message
  std::size_t replies_before_end = 0;  // replies complete when the upload ended
  std::string partial;                 // bytes of a line not yet complete
  std::string current;                 // lines of a multi-line reply not yet complete
  std::vector<Reply> replies;

  void add_line(const std::string& line) {
    current += (current.empty() ? "" : "\n") + line;
    // "250-..." continues a multi-line reply; "250 ..." (or a bare "250") ends it.
    if (line.size() >= 4 && line[3] == '-') return;
    Reply reply;
    if (line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) != 0) {
      reply.code = std::atoi(line.substr(0, 3).c_str());
    }
    reply.text = std::move(current);
    current.clear();
    replies.push_back(std::move(reply));
  }

  // The reply to the end of data, when it came.
  const Reply* end_of_data_reply() const {
    return upload_done && replies.size() > replies_before_end ? &replies[replies_before_end] : nullptr;
  }

  // The reply that explains a failure: the last refusal (4xx/5xx) before libcurl's QUIT, or else
  // the last reply that is not the answer to QUIT.
  const Reply* failure_reply() const {
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->code >= 400) return &*it;
    }
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (it->code != 221) return &*it;
    }
    return nullptr;
  }
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transaction*>(user);
  const std::size_t n = std::min(size * count, t->message.size() - t->offset);
  std::memcpy(buffer, t->message.data() + t->offset, n);
  t->offset += n;
  if (n == 0 && !t->upload_done) {
    t->upload_done = true;
    t->replies_before_end = t->replies.size();
  }
  return n;
}

int on_debug(CURL* /*curl*/, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* t = static_cast<Transaction*>(user);
  t->partial.append(data, size);
  for (auto end = t->partial.find('\n'); end != std::string::npos; end = t->partial.find('\n')) {
    std::string line = t->partial.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    t->partial.erase(0, end + 1);
    t->add_line(std::move(line));
  }
  return 0;
}

bool is_connection_error(CURLcode code) {
  return code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING;
}

// Failures no retry can fix, and that every message would meet.
bool is_configuration_error(CURLcode code) {
  switch (code) {
    case CURLE_LOGIN_DENIED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_NOT_BUILT_IN:
      return true;
    default:
      return false;
  }
}

bool is_unreachable(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
         code == CURLE_SSL_CONNECT_ERROR;
}

}  // namespace

const char* to_string(SendStatus status) {
  switch (status) {
    case SendStatus::sent:
      return "sent";
    case SendStatus::temporary_failure:
      return "temporary_failure";
    case SendStatus::permanent_failure:
      return "permanent_failure";
  }
  return "?";
}

struct SmtpSender::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

SmtpSender::SmtpSender(config::SmtpConfig config) : config_(std::move(config)), handle_(std::make_unique<Handle>()) {
  auto from = parse_mailbox(config_.from);
  if (!from) throw std::invalid_argument("smtp.from: not a usable address: '" + config_.from + "'");
  from_ = *from;
  if (!config_.reply_to.empty()) {
    reply_to_ = parse_mailbox(config_.reply_to);
    if (!reply_to_) throw std::invalid_argument("smtp.reply_to: not a usable address: '" + config_.reply_to + "'");
  }
  const bool smtps = config_.url.rfind("smtps://", 0) == 0;
  if (!smtps && config_.url.rfind("smtp://", 0) != 0) {
    throw std::invalid_argument("smtp.url must start with smtp:// or smtps://");
  }
  if (smtps != (config_.tls == config::SmtpTls::implicit)) {
    throw std::invalid_argument("smtp.url: smtps:// goes with tls = \"implicit\", and only with it");
  }
  ensure_curl_initialised();
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

SmtpSender::~SmtpSender() = default;

SendResult SmtpSender::send(const std::vector<std::string>& recipients, std::string_view message) {
  SendResult result;
  if (recipients.empty()) {
    result.status = SendStatus::permanent_failure;
    result.error = "no recipient";
    return result;
  }
  std::vector<std::string> addresses;
  for (const auto& recipient : recipients) {
    auto parsed = parse_mailbox(recipient);
    if (!parsed || !parsed->display_name.empty()) {
      result.status = SendStatus::permanent_failure;
      result.error = "not a usable recipient address: '" + recipient + "'";
      return result;
    }
    addresses.push_back(parsed->address);
  }

  for (int attempt = 1;; ++attempt) {
    CURL* curl = handle_->curl;
    curl_easy_reset(curl);  // options only: a live connection stays cached for reuse
    Transaction t;
    t.message = message;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* rcpt = nullptr;
    for (const auto& address : addresses) rcpt = curl_slist_append(rcpt, ("<" + address + ">").c_str());
    const std::string mail_from = "<" + from_.address + ">";

    curl_easy_setopt(curl, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    const long use_ssl = config_.tls == config::SmtpTls::starttls        ? CURLUSESSL_ALL
                         : config_.tls == config::SmtpTls::opportunistic ? CURLUSESSL_TRY
                         : config_.tls == config::SmtpTls::implicit      ? CURLUSESSL_ALL
                                                                         : CURLUSESSL_NONE;
    curl_easy_setopt(curl, CURLOPT_USE_SSL, use_ssl);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config_.tls_verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config_.tls_verify ? 2L : 0L);
    if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (!config_.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, config_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.reveal().c_str());
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.timeout_seconds));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 2L * config_.timeout_seconds);
    // The server's replies come from the debug stream (libcurl has no other way to show them);
    // only incoming lines are kept, so our AUTH lines never land anywhere.
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &t);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    if (attempt > 1) curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);

    const CURLcode code = curl_easy_perform(curl);
    long connects = 0;
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
    curl_slist_free_all(rcpt);

    result = SendResult();
    if (code == CURLE_OK) {
      const Reply* reply = t.end_of_data_reply();
      if (reply == nullptr && !t.replies.empty()) reply = &t.replies.back();
      result.status = SendStatus::sent;
      result.smtp_code = reply != nullptr ? reply->code : 0;
      result.reply = reply != nullptr ? reply->text : "";
      return result;
    }
    const Reply* reply = t.failure_reply();
    result.smtp_code = reply != nullptr ? reply->code : 0;
    result.reply = reply != nullptr ? reply->text : "";
    result.error = std::string(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code));
    result.outcome_unknown = t.upload_done && t.end_of_data_reply() == nullptr;
    // A cached connection the server had closed meanwhile: once more on a new one, as long as
    // nothing was handed over.
    if (attempt == 1 && connects == 0 && is_connection_error(code) && !t.upload_done) continue;

    // Refusals of the sender or of authentication concern every message, not this one.
    const bool whole_server = code == CURLE_LOGIN_DENIED || result.error.rfind("MAIL failed", 0) == 0;
    if (result.smtp_code >= 500 && result.smtp_code < 600) {
      result.status = SendStatus::permanent_failure;
      result.affects_every_message = whole_server;
    } else if (result.smtp_code >= 400 && result.smtp_code < 500) {
      result.status = SendStatus::temporary_failure;
      result.affects_every_message = whole_server;
    } else if (is_configuration_error(code)) {
      result.status = SendStatus::permanent_failure;
      result.affects_every_message = true;
    } else {
      result.status = SendStatus::temporary_failure;
      result.affects_every_message = is_unreachable(code);
    }
    return result;
  }
}

}  // namespace mailprune::notify
