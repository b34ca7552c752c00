// scripted_http.hpp: a scripted HTTP/1.1 server on 127.0.0.1:0 for the EWS transport tests.
// Each request (headers + Content-Length body) is recorded and answered with the next scripted
// reply, verbatim; a reply of kClose closes the connection instead, kHalf sends the first half of
// the next reply's bytes and closes. Keep-alive: a connection serves requests until closed.
// Threads: an accept thread and one thread per connection; the script and accessors lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailprune::ews::test {

struct RecordedRequest {
  std::string head;  // request line and headers
  std::string body;
  std::string header(const std::string& name) const;  // "" when absent (case-insensitive name)
};

class ScriptedHttpServer {
 public:
  static constexpr const char* kClose = "<close>";
  static constexpr const char* kHalf = "<half>";

  ScriptedHttpServer();
  ~ScriptedHttpServer();

  void reply(std::string raw);  // appends to the script
  // 200 with a text/xml body (Content-Length).
  void reply_xml(const std::string& body, int status = 200, const std::string& extra_headers = "");
  std::string url(const std::string& path = "/EWS/Exchange.asmx") const;
  std::vector<RecordedRequest> requests() const;
  int connections() const { return connections_; }

 private:
  void run();
  void serve(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::deque<std::string> script_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
  std::vector<std::thread> workers_;  // one per connection (joined by run())
};

}  // namespace mailprune::ews::test
