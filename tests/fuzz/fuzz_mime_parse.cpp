// fuzz_mime_parse: libFuzzer target for mailprune_mime (connectors/mime).
//
// Feeds arbitrary bytes to parse_message(), the transfer decoders, the header decoders and the
// charset converter, and checks invariants:
//  - nothing crashes, leaks or trips a sanitizer; parse errors are values;
//  - every leaf of a parsed tree has a decoded size and a 64-hex-digit SHA-256;
//  - every decoded name / header text is valid UTF-8;
//  - a transfer decoder gives the same output and damage flag however its input is split;
//  - base64 and quoted-printable encodings of the input decode back to it, undamaged.
//
// Built by the top-level option MAILPRUNE_FUZZ (clang). By hand, from the project root:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iconnectors \
//     tests/fuzz/fuzz_mime_parse.cpp connectors/mime/*.cpp \
//     $(pkg-config --cflags --libs gmime-3.0) -lcrypto -o fuzz_mime_parse
//   ./fuzz_mime_parse -max_len=65536 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/attachments.hpp"
#include "mime/charset.hpp"
#include "mime/header_decode.hpp"
#include "mime/header_params.hpp"
#include "mime/message_parse.hpp"
#include "mime/transfer_decode.hpp"

namespace {

using namespace mailprune::mime;

void require(bool condition) {
  if (!condition) std::abort();
}

std::string base64_encode(std::string_view bytes, std::size_t line_length) {
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    std::uint32_t value = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      value = (value << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      if (line_length > 0 && column == line_length) {
        out += "\r\n";
        column = 0;
      }
      out += k <= n ? alphabet[(value >> (18 - 6 * k)) & 0x3F] : '=';
      ++column;
    }
  }
  return out;
}

// Every byte that is not a safe printable as =XX, soft line breaks every 60 characters.
std::string qp_encode(std::string_view bytes) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (column >= 60) {
      out += "=\r\n";
      column = 0;
    }
    if (byte >= 33 && byte <= 126 && byte != '=') {
      out += c;
      column += 1;
    } else {
      out += '=';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
      column += 3;
    }
  }
  return out;
}

void check_split_invariance(std::string_view input, TransferEncoding encoding, std::size_t split) {
  const DecodedBytes whole = decode_transfer(input, encoding);
  TransferDecoder decoder(encoding);
  std::string out;
  decoder.feed(input.substr(0, split), out);
  decoder.feed(input.substr(split), out);
  decoder.finish(out);
  require(out == whole.bytes);
  require(decoder.damaged() == whole.damaged);
}

void check_tree(const MimePart& part) {
  if (part.type == "multipart") {
    for (const MimePart& child : part.children) check_tree(child);
    return;
  }
  require(part.decoded_size.has_value());
  require(part.sha256.size() == 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  ParseLimits limits;
  limits.max_parts = 200;
  const ParseResult parsed = parse_message(input, limits);
  if (parsed.ok()) {
    check_tree(parsed.message.root);
    for (const Attachment& attachment : classify_attachments(parsed.message.root, &parsed.message.html_cids)) {
      require(is_valid_utf8(attachment.name));
      require(attachment.size_exact);
    }
    (void)message_protection(parsed.message.root);
  } else {
    require(!parsed.error.empty());
  }

  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  for (const TransferEncoding encoding :
       {TransferEncoding::base64, TransferEncoding::quoted_printable, TransferEncoding::identity}) {
    check_split_invariance(input, encoding, split);
  }

  const std::size_t line_length = size == 0 ? 0 : data[size - 1] % 80;
  const DecodedBytes from_base64 = decode_transfer(base64_encode(input, line_length), TransferEncoding::base64);
  require(from_base64.bytes == input && !from_base64.damaged);
  const DecodedBytes from_qp = decode_transfer(qp_encode(input), TransferEncoding::quoted_printable);
  require(from_qp.bytes == input && !from_qp.damaged);

  require(is_valid_utf8(decode_rfc2047(input)));
  require(is_valid_utf8(bytes_to_utf8(input)));
  require(is_valid_utf8(convert_to_utf8(input, "shift_jis").text));
  const HeaderValue header = parse_header_value(input);
  if (auto name = decode_parameter(header.parameters, "filename")) require(is_valid_utf8(*name));
  return 0;
}
