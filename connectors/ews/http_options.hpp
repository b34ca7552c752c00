// http_options.hpp: the libcurl settings shared by the EWS transport and the OAuth2 token client
// (TLS verification, timeouts). Internal to mailprune_ews_connector.
#pragma once

#include <chrono>
#include <string>

namespace mailprune::ews {

struct HttpOptions {
  bool verify = true;   // TLS peer and host name verification; off only when asked explicitly
  std::string ca_file;  // PEM bundle to trust instead of the system's ("" system default)
  std::chrono::milliseconds connect_timeout{30'000};
  // Whole request; attachment downloads of 100 MB on a slow link need a generous one.
  std::chrono::milliseconds request_timeout{30 * 60'000};
  // Abort when fewer than low_speed_bytes per second arrive for low_speed_time (a hung server).
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{120};
  std::string user_agent = "mailprune-ews/0.1";
};

}  // namespace mailprune::ews

namespace mailprune::ews {
// curl_global_init once per process (thread-safe; before the first easy handle).
void ensure_curl_initialised();
}  // namespace mailprune::ews
