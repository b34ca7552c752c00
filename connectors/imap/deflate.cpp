#include "imap/deflate.hpp"

#include <zlib.h>

#include <cstring>

#include "imap/error.hpp"

namespace mailprune::imap::detail {
namespace {

[[noreturn]] void fail(const char* what, const z_stream& stream, int code) {
  std::string message = std::string(what) + " failed (zlib " + std::to_string(code) + ")";
  if (stream.msg != nullptr) message += std::string(": ") + stream.msg;
  throw make_error(ErrorKind::protocol, std::move(message));
}

}  // namespace

struct Deflater::State {
  z_stream stream{};
};

Deflater::Deflater() : state_(std::make_unique<State>()) {
  // Negative windowBits: raw DEFLATE, as RFC 4978 requires (no zlib header or checksum).
  const int rc = deflateInit2(&state_->stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) fail("deflateInit2", state_->stream, rc);
}

Deflater::~Deflater() {
  deflateEnd(&state_->stream);
}

void Deflater::compress(std::string_view bytes, std::string& out) {
  z_stream& s = state_->stream;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  unsigned char chunk[16384];
  // With Z_SYNC_FLUSH, deflate is done once it leaves room in the output buffer.
  do {
    s.next_out = chunk;
    s.avail_out = sizeof chunk;
    const int rc = deflate(&s, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) fail("deflate", s, rc);
    out.append(reinterpret_cast<const char*>(chunk), sizeof chunk - s.avail_out);
  } while (s.avail_out == 0);
}

struct Inflater::State {
  z_stream stream{};
  std::string input;  // queued wire bytes; next_in points into it
  std::size_t used = 0;
  bool ended = false;
};

Inflater::Inflater() : state_(std::make_unique<State>()) {
  const int rc = inflateInit2(&state_->stream, -15);
  if (rc != Z_OK) fail("inflateInit2", state_->stream, rc);
}

Inflater::~Inflater() {
  inflateEnd(&state_->stream);
}

void Inflater::feed(std::string_view bytes) {
  State& st = *state_;
  if (st.used == st.input.size()) {
    st.input.assign(bytes);
    st.used = 0;
  } else {
    st.input.erase(0, st.used);
    st.used = 0;
    st.input.append(bytes);
  }
}

std::size_t Inflater::pending_input() const noexcept {
  return state_->input.size() - state_->used;
}

std::size_t Inflater::inflate_some(std::string& out, std::size_t max) {
  State& st = *state_;
  if (max == 0) return 0;
  const std::size_t base = out.size();
  out.resize(base + max);
  z_stream& s = st.stream;
  s.next_in = reinterpret_cast<Bytef*>(st.input.data() + st.used);
  s.avail_in = static_cast<uInt>(st.input.size() - st.used);
  s.next_out = reinterpret_cast<Bytef*>(out.data() + base);
  s.avail_out = static_cast<uInt>(max);
  int rc = Z_OK;
  if (s.avail_in > 0 || !st.ended) rc = inflate(&s, Z_SYNC_FLUSH);
  const std::size_t produced = max - s.avail_out;
  st.used = st.input.size() - s.avail_in;
  out.resize(base + produced);
  if (rc == Z_STREAM_END) {
    // The peer ended its DEFLATE stream: nothing may follow in this direction.
    st.ended = true;
    if (st.used != st.input.size()) throw make_error(ErrorKind::protocol, "data after the end of the DEFLATE stream");
  } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
    fail("inflate", s, rc);
  }
  return produced;
}

}  // namespace mailprune::imap::detail
