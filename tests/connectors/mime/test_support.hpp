// test_support.hpp: helpers shared by the mailprune_mime tests: messages written line by line, a
// reference base64 encoder and the "grind" drivers that feed a streaming decoder its input split at
// every offset.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "mime/transfer_decode.hpp"

namespace mailprune::mime::test {

// `lines`, each one ended by `eol`.
inline std::string join(std::initializer_list<std::string_view> lines, std::string_view eol = "\r\n") {
  std::string out;
  for (const std::string_view line : lines) {
    out += line;
    out += eol;
  }
  return out;
}

// Plain RFC 4648 base64 with '=' padding, broken into lines of `line_length` characters
// (0: one line) separated by `line_break`.
inline std::string base64_encode(std::string_view bytes, std::size_t line_length = 0,
                                 std::string_view line_break = "\r\n") {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string flat;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    unsigned value = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      value = (value << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      flat += k <= n ? alphabet[(value >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  if (line_length == 0) return flat;
  std::string wrapped;
  for (std::size_t i = 0; i < flat.size(); i += line_length) {
    if (i > 0) wrapped += line_break;
    wrapped += flat.substr(i, line_length);
  }
  return wrapped;
}

struct GroundOutput {
  std::string bytes;
  bool damaged = false;
};

// Input given whole, through the buffer API.
inline GroundOutput decode_whole(std::string_view in, TransferEncoding encoding) {
  const DecodedBytes decoded = decode_transfer(in, encoding);
  return {decoded.bytes, decoded.damaged};
}

// Input in two pieces split at `split`, through the sink API.
inline GroundOutput decode_split(std::string_view in, TransferEncoding encoding, std::size_t split) {
  TransferDecoder decoder(encoding);
  GroundOutput out;
  const auto sink = [&](std::string_view bytes) { out.bytes.append(bytes); };
  decoder.feed(in.substr(0, split), sink);
  decoder.feed(in.substr(split), sink);
  decoder.finish(sink);
  out.damaged = decoder.damaged();
  return out;
}

// One byte at a time, with empty feeds in between (which must change nothing).
inline GroundOutput decode_bytewise(std::string_view in, TransferEncoding encoding) {
  TransferDecoder decoder(encoding);
  GroundOutput out;
  for (const char c : in) {
    decoder.feed(std::string_view(&c, 1), out.bytes);
    decoder.feed(std::string_view(), out.bytes);
  }
  decoder.finish(out.bytes);
  out.damaged = decoder.damaged();
  return out;
}

}  // namespace mailprune::mime::test
