#include "ews/error.hpp"

#include <array>
#include <utility>

namespace mailprune::ews {
namespace {

constexpr std::array<std::string_view, 4> kThrottling = {"ErrorServerBusy", "ErrorTooManyObjectsOpened",
                                                         "ErrorExceededConnectionCount", "ErrorInsufficientResources"};

// Transient: another attempt later can succeed (Exchange docs for each code).
constexpr std::array<std::string_view, 10> kTransient = {"ErrorInternalServerTransientError",
                                                         "ErrorTimeoutExpired",
                                                         "ErrorMailboxStoreUnavailable",
                                                         "ErrorConnectionFailed",
                                                         "ErrorMailboxMoveInProgress",
                                                         "ErrorBatchProcessingStopped",
                                                         "ErrorExceededSubscriptionCount",
                                                         "ErrorProxyRequestProcessingFailed",
                                                         "ErrorADUnavailable",
                                                         "ErrorServerTemporaryUnavailable"};

constexpr std::array<std::string_view, 8> kAuthentication = {"ErrorImpersonateUserDenied",
                                                             "ErrorImpersonationDenied",
                                                             "ErrorAccessDenied",
                                                             "ErrorInvalidImpersonationHeader",
                                                             "ErrorInvalidImpersonationContextSetup",
                                                             "ErrorNotDelegate",
                                                             "ErrorDelegateNoUser",
                                                             "ErrorInvalidLicense"};

constexpr std::array<std::string_view, 7> kNotFound = {
    "ErrorItemNotFound",        "ErrorFolderNotFound",        "ErrorNonExistentMailbox", "ErrorAttachmentNotFound",
    "ErrorInvalidAttachmentId", "ErrorMailRecipientNotFound", "ErrorSyncFolderNotFound"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view code) {
  for (std::string_view entry : list) {
    if (entry == code) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connection:
      return "connection";
    case ErrorKind::tls:
      return "tls";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::http:
      return "http";
    case ErrorKind::authentication:
      return "authentication";
    case ErrorKind::parse:
      return "parse";
    case ErrorKind::fault:
      return "fault";
    case ErrorKind::response:
      return "response";
  }
  return "unknown";
}

CodeClass classify_code(std::string_view code) {
  CodeClass result;
  result.throttling = contains(kThrottling, code);
  result.retriable = result.throttling || contains(kTransient, code);
  result.authentication = contains(kAuthentication, code);
  result.not_found = contains(kNotFound, code);
  return result;
}

bool Error::throttled() const noexcept {
  if (http_status == 429 || http_status == 503) return true;
  return !code.empty() && classify_code(code).throttling;
}

bool Error::retriable() const noexcept {
  switch (kind) {
    case ErrorKind::connection:
    case ErrorKind::timeout:
      return true;
    case ErrorKind::http:
      return http_status == 408 || http_status == 429 || http_status >= 500;
    case ErrorKind::authentication:
    case ErrorKind::tls:
      return false;
    case ErrorKind::parse:
      return http_status >= 500;  // a truncated/garbled error page
    case ErrorKind::fault:
    case ErrorKind::response:
      return classify_code(code).retriable || (code.empty() && http_status >= 500);
  }
  return false;
}

bool Error::poisons_connection() const noexcept {
  return kind == ErrorKind::connection || kind == ErrorKind::timeout || kind == ErrorKind::parse ||
         kind == ErrorKind::tls;
}

bool Error::outcome_unknown() const noexcept {
  if (!request_mutates || !request_sent) return false;
  // A readable EWS answer (fault or ResponseMessage) says what happened; everything else does not.
  return kind == ErrorKind::connection || kind == ErrorKind::timeout || kind == ErrorKind::parse ||
         (kind == ErrorKind::http && http_status >= 500);
}

bool Error::authentication() const noexcept {
  return kind == ErrorKind::authentication || (!code.empty() && classify_code(code).authentication);
}

bool Error::not_found() const noexcept {
  return !code.empty() && classify_code(code).not_found;
}

std::string Error::describe() const {
  std::string text = operation.empty() ? std::string("EWS") : operation;
  text += ": ";
  if (!code.empty()) {
    text += code;
    text += ": ";
  }
  text += message.empty() ? std::string(to_string(kind)) : message;
  if (http_status != 0) text += " (HTTP " + std::to_string(http_status) + ")";
  return text;
}

std::string ParseError::describe() const {
  std::string text = message + " at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
                     std::to_string(offset) + ")";
  if (!path.empty()) text += " in " + path;
  return text;
}

}  // namespace mailprune::ews
