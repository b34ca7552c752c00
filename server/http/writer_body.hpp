// writer_body.hpp: a BodyProducer for code that pushes its bytes into a sink instead of being
// asked for them (ArchiveStore::read, pqxx stream_from loops).
//
// The writer runs on a thread of its own, started at the first pull, and hands chunks over
// through a bounded buffer: when the client reads slowly, the writer's sink blocks once
// `buffer_bytes` are waiting. The producer returns what is buffered (waiting 1 ms between polls
// when nothing is, without holding an I/O thread). When the writer returns, the body ends; when
// it throws, the producer throws too, so the server closes the connection and the client sees a
// short body, never a complete-looking wrong one. When the response is abandoned (the client
// left, the server stopped), the sink returns false from then on, and the producer's destructor
// waits for the writer to return: whatever the writer captured by reference must outlive the
// response.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "http/message.hpp"

namespace mailprune::http {

// Receives the body's bytes; returns false when nobody wants more (the writer should stop).
using BodySink = std::function<bool(std::string_view chunk)>;
using BodyWriter = std::function<void(const BodySink& sink)>;

BodyProducer producer_from_writer(BodyWriter writer, std::size_t buffer_bytes = 1024 * 1024);

}  // namespace mailprune::http
