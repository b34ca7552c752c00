// client_address.hpp: who sent a request, behind a reverse proxy or not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mailprune::http {

// The client's address: `peer` (the TCP peer, "127.0.0.1" or "::1"), unless `peer` is one of
// `trusted_proxies` and the request has an X-Forwarded-For header, whose last entry (the one the
// trusted proxy added) is taken when it is an IP address. Addresses are compared as addresses,
// not as text ("::1" and "0:0::1" are the same). Pure function.
std::string client_address(std::string_view peer, const Headers& headers,
                           const std::vector<std::string>& trusted_proxies);

}  // namespace mailprune::http
