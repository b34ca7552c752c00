#include "imap/classify.hpp"

namespace mailprune::imap {

Error error_from(const FramerError& framer_error) {
  Error error = make_error(ErrorKind::protocol, framer_error.message);
  error.raw = framer_error.raw;
  error.offset = framer_error.offset;
  return error;
}

std::optional<Error> error_from(const StatusResponse& status) {
  ErrorKind kind{};
  switch (status.condition) {
    case Condition::ok:
    case Condition::preauth:
      return std::nullopt;
    case Condition::no:
      if (!status.tagged()) return std::nullopt;
      kind = ErrorKind::no;
      break;
    case Condition::bad:
      if (!status.tagged()) return std::nullopt;
      kind = ErrorKind::bad;
      break;
    case Condition::bye:
      kind = ErrorKind::bye;
      break;
  }
  Error error = make_error(kind, status.text, status.code ? status.code->name : std::string());
  error.raw = (status.tagged() ? status.tag : std::string("*")) + " " + status.text;
  return error;
}

}  // namespace mailprune::imap
