// The HTTP server in-process on 127.0.0.1 port 0, spoken to over raw sockets: limits, timeouts,
// keep-alive, pipelining, streaming, graceful stop, the access log.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "http/encoding.hpp"
#include "http/health.hpp"
#include "http/raw_client.hpp"
#include "http/writer_body.hpp"

namespace mailprune::http {
namespace {

using namespace std::chrono_literals;
using testing::fetch;
using testing::get_request;
using testing::RawClient;
using testing::RawResponse;

// Captures spdlog's output for the access-log checks; restores the previous logger.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    std::lock_guard lock(mutex_);
    return stream_.str();
  }
  // Waits until `needle` was logged (the access log line follows the response's last byte).
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = 3s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (text().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::mutex mutex_;
  std::ostringstream stream_;
};

// A producer giving `count` pieces of `size` bytes ('a' + i % 26), then the end.
BodyProducer counting_producer(int count, std::size_t size) {
  auto sent = std::make_shared<int>(0);
  return [=]() {
    Chunk chunk;
    if (*sent == count) {
      chunk.last = true;
      return chunk;
    }
    chunk.data.assign(size, static_cast<char>('a' + *sent % 26));
    ++*sent;
    return chunk;
  };
}

std::string counting_body(int count, std::size_t size) {
  std::string body;
  for (int i = 0; i < count; ++i) body.append(size, static_cast<char>('a' + i % 26));
  return body;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    options_.listen = {"127.0.0.1:0"};
    options_.threads = 2;
    options_.header_timeout = 2s;
    options_.body_timeout = 2s;
    options_.idle_timeout = 2s;
    options_.write_timeout = 2s;
    options_.shutdown_timeout = 5s;
    options_.max_body_bytes = 64 * 1024;

    router_.add("GET", "/echo", [](const Request& r) {
      std::string text = r.method + " " + r.path + " tls=" + (r.is_tls ? "1" : "0") + " from=" + r.remote_address;
      for (const auto& [name, value] : r.query) text += " " + name + "=" + value;
      return text_response(200, text);
    });
    router_.add("POST", "/form", [](const Request& r) {
      auto form = parse_form(r);
      if (!form) return status_response(400);
      std::string text;
      for (const auto& [name, value] : *form) text += name + "=" + value + ";";
      return text_response(200, text);
    });
    router_.add(
        "POST", "/upload", [](const Request& r) { return text_response(200, std::to_string(r.body.size())); },
        RouteOptions{std::size_t{4 * 1024 * 1024}, false});
    router_.add("GET", "/page", [](const Request&) { return html_response(200, "<p>page</p>"); });
    router_.add("GET", "/stream", [](const Request&) {
      Response response;
      response.headers.set("Content-Type", "application/octet-stream");
      response.producer = counting_producer(100, 10000);
      return response;
    });
    router_.add("GET", "/stream-length", [](const Request&) {
      Response response;
      response.producer = counting_producer(10, 1000);
      response.content_length = 10000;
      return response;
    });
    router_.add("GET", "/stream-short", [](const Request&) {
      Response response;
      response.producer = counting_producer(5, 1000);
      response.content_length = 10000;  // a lie: the connection must close, not hang
      return response;
    });
    router_.add("GET", "/live", [](const Request&) {
      // Waits (without a thread) three times between events, then ends.
      auto step = std::make_shared<int>(0);
      Response response;
      response.headers.set("Content-Type", "text/event-stream");
      response.producer = [step]() {
        Chunk chunk;
        int n = (*step)++;
        if (n >= 8) {
          chunk.last = true;
        } else if (n % 2 == 0) {
          chunk.retry_after = 20ms;
        } else {
          chunk.data = "data: " + std::to_string(n) + "\n\n";
        }
        return chunk;
      };
      return response;
    });
    router_.add("GET", "/live-forever", [](const Request&) {
      auto step = std::make_shared<int>(0);
      Response response;
      response.headers.set("Content-Type", "text/event-stream");
      response.producer = [step]() {
        Chunk chunk;
        if ((*step)++ == 0) {
          chunk.data = "data: hello\n\n";
        } else {
          chunk.retry_after = 20ms;
        }
        return chunk;
      };
      return response;
    });
    router_.add("GET", "/writer", [](const Request&) {
      Response response;
      response.producer = producer_from_writer(
          [](const BodySink& sink) {
            for (int i = 0; i < 3000; ++i) {
              if (!sink(std::string(1000, static_cast<char>('a' + i % 26)))) return;
            }
          },
          64 * 1024);
      return response;
    });
    router_.add("GET", "/writer-fails", [](const Request&) {
      Response response;
      response.producer = producer_from_writer([](const BodySink& sink) {
        sink(std::string(5000, 'x'));
        throw std::runtime_error("disk gone");
      });
      return response;
    });
    router_.add("GET", "/slow", [this](const Request&) {
      slow_entered_.set_value();
      slow_release_.get_future().wait();
      return text_response(200, "finally");
    });
    router_.add("GET", "/throw", [](const Request&) -> Response { throw std::runtime_error("handler bug"); });
    router_.add_prefix("GET", "/secret/", [](const Request&) { return text_response(200, "secret page"); });
    HealthOptions health;
    health.version = "1.2.3";
    health.database_reachable = [this] { return database_up_.load(); };
    health.cache_for = 0ms;
    add_health_routes(router_, health);
  }

  ~HttpServerTest() override {
    if (server_) {
      server_->stop();
      server_->wait();
    }
  }

  void start() {
    server_ = std::make_unique<Server>(options_, router_);
    server_->start();
    port_ = server_->ports().at(0);
  }

  ServerOptions options_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  std::atomic<bool> database_up_{true};
  std::promise<void> slow_entered_;
  std::promise<void> slow_release_;
};

TEST_F(HttpServerTest, HealthzSaysVersionAndDatabaseState) {
  start();
  RawResponse ok = fetch(port_, get_request("/healthz"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("content-type"), "application/json");
  EXPECT_EQ(ok.body, "{\"database\":\"reachable\",\"status\":\"ok\",\"version\":\"1.2.3\"}\n");
  database_up_ = false;
  RawResponse down = fetch(port_, get_request("/healthz"));
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("unreachable"), std::string::npos);
  EXPECT_EQ(server_->urls().at(0), "http://127.0.0.1:" + std::to_string(port_));
}

TEST_F(HttpServerTest, SecurityHeadersOnEveryResponse) {
  start();
  RawResponse page = fetch(port_, get_request("/page"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page.header("content-security-policy"), kDefaultHtmlCsp);
  EXPECT_FALSE(page.header("date").empty());
  RawResponse missing = fetch(port_, get_request("/nothing-here"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("x-content-type-options"), "nosniff");
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowedWithAllow) {
  start();
  EXPECT_EQ(fetch(port_, get_request("/nope")).status, 404);
  RawResponse wrong = fetch(port_, "DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD");
  RawResponse post = fetch(port_, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutBody) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send("HEAD /page HTTP/1.1\r\nHost: t\r\n\r\n" + get_request("/echo?after=head")));
  RawResponse head = client.read_response(5s, true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "11");
  RawResponse next = client.read_response();
  EXPECT_EQ(next.status, 200) << "no body bytes came between the two responses";
  EXPECT_NE(next.body.find("after=head"), std::string::npos) << next.body;
}

TEST_F(HttpServerTest, BadTargetsAndVersionsAre400And505) {
  start();
  EXPECT_EQ(fetch(port_, get_request("/echo/../healthz")).status, 400);
  EXPECT_EQ(fetch(port_, get_request("/echo?x=%zz")).status, 400);
  EXPECT_EQ(fetch(port_, "GET /echo HTTP/2.0\r\nHost: t\r\n\r\n").status, 505);
  EXPECT_EQ(fetch(port_, "GARBAGE\r\n\r\n").status, 400);
  RawResponse absolute = fetch(port_, get_request("http://test/echo?a=1"));
  EXPECT_EQ(absolute.status, 200);
  EXPECT_NE(absolute.body.find("GET /echo"), std::string::npos);
}

TEST_F(HttpServerTest, HeaderTooLargeIs431) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n"));
  RawResponse response = client.read_response();
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(3s));
  EXPECT_EQ(fetch(port_, get_request("/echo", "X-Fine: " + std::string(7000, 'b') + "\r\n")).status, 200);
}

TEST_F(HttpServerTest, BodyTooLargeIs413WithLengthOrChunked) {
  start();
  // Announced too large: refused from the header alone.
  RawResponse announced = fetch(port_,
                                "POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: 70000\r\n\r\n");
  EXPECT_EQ(announced.status, 413);

  // Chunked past the limit while the client keeps sending: it still reads the 413.
  RawClient client(port_);
  ASSERT_TRUE(
      client.send("POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "4000\r\n" + std::string(0x4000, 'a') + "\r\n";
  for (int i = 0; i < 8; ++i) client.send(chunk);
  RawResponse chunked = client.read_response();
  EXPECT_EQ(chunked.status, 413);

  // A route with its own, larger limit.
  std::string big(1024 * 1024, 'z');
  RawResponse upload = fetch(
      port_, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
  EXPECT_EQ(upload.status, 200);
  EXPECT_EQ(upload.body, std::to_string(big.size()));
}

TEST_F(HttpServerTest, FormsAreParsed) {
  start();
  std::string body = "choice=refuse&item=12&item=13&note=caf%C3%A9+ok";
  RawResponse response = fetch(port_,
                               "POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                               "Content-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "choice=refuse;item=12;item=13;note=café ok;");
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(
      client.send("POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  RawResponse interim = client.read_response(3s);
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.send("a=1"));
  RawResponse final_response = client.read_response();
  EXPECT_EQ(final_response.status, 200);
  EXPECT_EQ(final_response.body, "a=1;");
}

TEST_F(HttpServerTest, SlowHeaderIsCutAfterTheHeaderTimeout) {
  options_.header_timeout = 400ms;
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /echo HTTP/1.1\r\nHost: t\r\n"));  // and never the blank line
  auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_within(5s));
  auto waited = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
  EXPECT_EQ(fetch(port_, get_request("/echo")).status, 200) << "the server is still fine";
}

TEST_F(HttpServerTest, SilentConnectionIsCutAfterTheHeaderTimeout) {
  options_.header_timeout = 400ms;
  start();
  RawClient client(port_);
  EXPECT_TRUE(client.closed_within(5s));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.idle_timeout = 500ms;
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/echo")));
  EXPECT_EQ(client.read_response().status, 200);
  auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_within(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 400ms);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  RawClient client(port_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.send(get_request("/echo?n=" + std::to_string(i))));
    RawResponse response = client.read_response();
    ASSERT_EQ(response.status, 200);
    EXPECT_NE(response.body.find("n=" + std::to_string(i)), std::string::npos);
    EXPECT_NE(response.header("connection"), "close");
  }
}

TEST_F(HttpServerTest, MaxRequestsPerConnectionClosesTheConnection) {
  options_.max_requests_per_connection = 2;
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/echo")));
  EXPECT_NE(client.read_response().header("connection"), "close");
  ASSERT_TRUE(client.send(get_request("/echo")));
  EXPECT_EQ(client.read_response().header("connection"), "close");
  EXPECT_TRUE(client.closed_within(3s));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawClient client(port_);
  std::string burst;
  for (int i = 0; i < 10; ++i) burst += get_request("/echo?n=" + std::to_string(i));
  burst += get_request("/stream-length") + get_request("/echo?n=last", "Connection: close\r\n");
  ASSERT_TRUE(client.send(burst));
  for (int i = 0; i < 10; ++i) {
    RawResponse response = client.read_response();
    ASSERT_EQ(response.status, 200) << i;
    EXPECT_NE(response.body.find(" n=" + std::to_string(i)), std::string::npos) << response.body;
  }
  RawResponse streamed = client.read_response();
  EXPECT_EQ(streamed.body, counting_body(10, 1000));
  RawResponse last = client.read_response();
  EXPECT_NE(last.body.find("n=last"), std::string::npos);
  EXPECT_EQ(last.header("connection"), "close");
  EXPECT_TRUE(client.closed_within(3s));
}

TEST_F(HttpServerTest, StreamedBodiesChunkedOrWithLength) {
  start();
  RawResponse chunked = fetch(port_, get_request("/stream"));
  EXPECT_EQ(chunked.status, 200);
  EXPECT_TRUE(chunked.chunked);
  EXPECT_EQ(chunked.body, counting_body(100, 10000));

  RawResponse sized = fetch(port_, get_request("/stream-length"));
  EXPECT_EQ(sized.status, 200);
  EXPECT_FALSE(sized.chunked);
  EXPECT_EQ(sized.header("content-length"), "10000");
  EXPECT_EQ(sized.body, counting_body(10, 1000));

  // HTTP/1.0 cannot chunk: the body ends with the connection.
  RawResponse old = fetch(port_, "GET /stream HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.body, counting_body(100, 10000));
}

TEST_F(HttpServerTest, ProducerShorterThanItsLengthClosesTheConnection) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/stream-short")));
  RawResponse response = client.read_response(5s);
  EXPECT_EQ(response.status, 0) << "the client never gets a complete-looking body";
  EXPECT_TRUE(client.closed_within(3s));
}

TEST_F(HttpServerTest, LiveStreamWaitsWithoutHoldingAThread) {
  options_.threads = 1;
  start();
  RawClient live(port_);
  ASSERT_TRUE(live.send(get_request("/live")));
  // While it waits between events, the only thread still answers others.
  EXPECT_EQ(fetch(port_, get_request("/echo")).status, 200);
  RawResponse events = live.read_response();
  EXPECT_EQ(events.status, 200);
  EXPECT_EQ(events.body, "data: 1\n\ndata: 3\n\ndata: 5\n\ndata: 7\n\n");
}

TEST_F(HttpServerTest, WriterBodiesStreamThroughABoundedBuffer) {
  start();
  RawResponse response = fetch(port_, get_request("/writer"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, counting_body(3000, 1000));

  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/writer-fails")));
  EXPECT_EQ(client.read_response(5s).status, 0) << "a failed writer cuts the body short";
  EXPECT_TRUE(client.closed_within(3s));
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndTheServerGoesOn) {
  start();
  EXPECT_EQ(fetch(port_, get_request("/throw")).status, 500);
  EXPECT_EQ(fetch(port_, get_request("/echo")).status, 200);
}

TEST_F(HttpServerTest, AccessLogNeverShowsQueryStringsOrWhatFollowsAPrefix) {
  LogCapture log;
  start();
  EXPECT_EQ(fetch(port_, get_request("/echo?token=SECRET-IN-QUERY")).status, 200);
  EXPECT_EQ(fetch(port_, get_request("/secret/SECRET-IN-PATH?s=SECRET-SIGNATURE")).status, 200);
  EXPECT_EQ(fetch(port_, get_request("/typo/SECRET-IN-UNKNOWN-PATH")).status, 404);
  ASSERT_TRUE(log.wait_for("GET /typo/… 404"));
  ASSERT_TRUE(log.wait_for("GET /echo 200"));
  ASSERT_TRUE(log.wait_for("GET /secret/… 200 11"));
  std::string text = log.text();
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  EXPECT_EQ(text.find('?'), std::string::npos) << text;
  EXPECT_NE(text.find("127.0.0.1"), std::string::npos) << text;
  server_->stop();  // before the capture goes: the server's threads log until they end
  server_->wait();
}

TEST_F(HttpServerTest, GracefulStopFinishesTheRequestInFlight) {
  start();
  RawClient busy(port_);
  ASSERT_TRUE(busy.send(get_request("/slow")));
  ASSERT_EQ(slow_entered_.get_future().wait_for(5s), std::future_status::ready);
  RawClient idle(port_);
  ASSERT_TRUE(idle.connected());
  std::this_thread::sleep_for(50ms);  // the idle connection is accepted and waiting

  server_->stop();
  EXPECT_TRUE(idle.closed_within(3s)) << "idle connections close at once";
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    RawClient late(port_);
    refused = !late.connected();
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused) << "no new connections once stopping";

  auto waiting = std::async(std::launch::async, [this] { server_->wait(); });
  EXPECT_EQ(waiting.wait_for(200ms), std::future_status::timeout) << "the request in flight holds the stop";
  slow_release_.set_value();
  RawResponse response = busy.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "finally");
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_EQ(waiting.wait_for(5s), std::future_status::ready);
}

TEST_F(HttpServerTest, GracefulStopEndsLiveStreamsCleanly) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/live-forever")));
  std::this_thread::sleep_for(100ms);
  server_->stop();
  RawResponse response = client.read_response(5s);
  EXPECT_EQ(response.status, 200) << "the chunked body was terminated properly";
  EXPECT_EQ(response.body, "data: hello\n\n");
  auto waiting = std::async(std::launch::async, [this] { server_->wait(); });
  EXPECT_EQ(waiting.wait_for(5s), std::future_status::ready);
}

TEST_F(HttpServerTest, ShutdownTimeoutClosesAStalledReader) {
  options_.shutdown_timeout = 300ms;
  options_.write_timeout = 30s;
  router_.add("GET", "/huge", [](const Request&) {
    Response response;
    response.producer = counting_producer(100000, 65536);  // 6.5 GB: never fits in socket buffers
    return response;
  });
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(get_request("/huge")));
  std::this_thread::sleep_for(300ms);  // the server fills the socket buffers and blocks writing
  auto begin = std::chrono::steady_clock::now();
  server_->stop();
  auto waiting = std::async(std::launch::async, [this] { server_->wait(); });
  EXPECT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 250ms);
}

TEST_F(HttpServerTest, ManyClientsAtOnceThenAStopUnderLoad) {
  start();
  std::atomic<int> ok{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      RawClient keep(port_);
      for (int i = 0; i < 40; ++i) {
        std::string target = i % 3 == 0 ? "/stream-length" : "/echo?c=" + std::to_string(c) + "&i=" + std::to_string(i);
        RawResponse response =
            i % 2 == 0 ? fetch(port_, get_request(target)) : (keep.send(get_request(target)), keep.read_response());
        (response.status == 200 ? ok : bad)++;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 16 * 40);
  EXPECT_EQ(bad.load(), 0);

  // Stop while clients keep coming: every response that starts is complete, and stop returns.
  std::atomic<bool> running{true};
  std::atomic<int> partial{0};
  std::vector<std::thread> late;
  for (int c = 0; c < 4; ++c) {
    late.emplace_back([&] {
      while (running) {
        RawClient client(port_);
        if (!client.connected()) continue;
        if (!client.send(get_request("/stream-length"))) continue;
        RawResponse response = client.read_response(5s);
        if (response.status != 0 && response.body.size() != 10000) partial++;
      }
    });
  }
  std::this_thread::sleep_for(100ms);
  server_->stop();
  auto waiting = std::async(std::launch::async, [this] { server_->wait(); });
  EXPECT_EQ(waiting.wait_for(10s), std::future_status::ready);
  running = false;
  for (auto& client : late) client.join();
  EXPECT_EQ(partial.load(), 0);
}

TEST_F(HttpServerTest, ListensOnIpv6Loopback) {
  std::ifstream inet6("/proc/net/if_inet6");
  std::string all((std::istreambuf_iterator<char>(inet6)), std::istreambuf_iterator<char>());
  if (all.find("00000000000000000000000000000001") == std::string::npos) GTEST_SKIP() << "no ::1 here";
  options_.listen = {"127.0.0.1:0", "[::1]:0"};
  start();
  std::uint16_t v6_port = server_->ports().at(1);
  EXPECT_EQ(server_->urls().at(1), "http://[::1]:" + std::to_string(v6_port));
  RawClient client(v6_port, "::1");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(get_request("/echo")));
  RawResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("from=::1"), std::string::npos) << response.body;
}

TEST_F(HttpServerTest, TrustedProxyNamesTheClient) {
  options_.trusted_proxies = {"127.0.0.1"};
  start();
  RawResponse response = fetch(port_, get_request("/echo", "X-Forwarded-For: 198.51.100.20\r\n"));
  EXPECT_NE(response.body.find("from=198.51.100.20"), std::string::npos) << response.body;
}

TEST_F(HttpServerTest, UnusableListenAddressesAreErrors) {
  options_.listen = {"127.0.0.1:0"};
  start();
  ServerOptions clash = options_;
  clash.listen = {"127.0.0.1:" + std::to_string(port_)};
  Server second(clash, router_);
  EXPECT_THROW(second.start(), ListenError);
  ServerOptions nonsense = options_;
  nonsense.listen = {"localhost:80"};
  Server third(nonsense, router_);
  EXPECT_THROW(third.start(), ListenError);
}

}  // namespace
}  // namespace mailprune::http
