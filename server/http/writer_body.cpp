#include "http/writer_body.hpp"

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace mailprune::http {
namespace {

constexpr std::size_t kMaxChunk = 64 * 1024;

// Shared by the writer thread and the producer.
struct Channel {
  std::mutex mutex;
  std::condition_variable space;  // signalled when the producer took bytes, or on cancel
  std::string buffered;
  std::size_t limit = 0;
  bool finished = false;  // the writer returned
  std::exception_ptr failure;
  bool cancelled = false;  // the response was abandoned
};

// Owns the writer thread; the last copy of the producer destroys it.
class WriterBody {
 public:
  WriterBody(BodyWriter writer, std::size_t limit) : writer_(std::move(writer)), channel_(std::make_shared<Channel>()) {
    channel_->limit = std::max<std::size_t>(limit, 1);
  }
  WriterBody(const WriterBody&) = delete;
  WriterBody& operator=(const WriterBody&) = delete;

  ~WriterBody() {
    {
      std::lock_guard lock(channel_->mutex);
      channel_->cancelled = true;
    }
    channel_->space.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  Chunk next() {
    if (!thread_.joinable()) start();
    Chunk chunk;
    std::unique_lock lock(channel_->mutex);
    if (!channel_->buffered.empty()) {
      std::size_t n = std::min(channel_->buffered.size(), kMaxChunk);
      chunk.data = channel_->buffered.substr(0, n);
      channel_->buffered.erase(0, n);
      lock.unlock();
      channel_->space.notify_all();
      return chunk;
    }
    if (channel_->failure) std::rethrow_exception(channel_->failure);
    if (channel_->finished) {
      chunk.last = true;
      return chunk;
    }
    chunk.retry_after = std::chrono::milliseconds(1);
    return chunk;
  }

 private:
  void start() {
    thread_ = std::thread([channel = channel_, writer = writer_] {
      BodySink sink = [&channel](std::string_view bytes) {
        std::unique_lock lock(channel->mutex);
        while (!bytes.empty()) {
          channel->space.wait(lock, [&] { return channel->cancelled || channel->buffered.size() < channel->limit; });
          if (channel->cancelled) return false;
          std::size_t room = channel->limit - channel->buffered.size();
          std::size_t n = std::min(room, bytes.size());
          channel->buffered.append(bytes.substr(0, n));
          bytes.remove_prefix(n);
        }
        return !channel->cancelled;
      };
      std::exception_ptr failure;
      try {
        writer(sink);
      } catch (...) {
        failure = std::current_exception();
      }
      std::lock_guard lock(channel->mutex);
      channel->failure = failure;
      channel->finished = true;
    });
  }

  BodyWriter writer_;
  std::shared_ptr<Channel> channel_;
  std::thread thread_;
};

}  // namespace

BodyProducer producer_from_writer(BodyWriter writer, std::size_t buffer_bytes) {
  if (!writer) throw std::invalid_argument("producer_from_writer: no writer");
  auto body = std::make_shared<WriterBody>(std::move(writer), buffer_bytes);
  return [body] { return body->next(); };
}

}  // namespace mailprune::http
