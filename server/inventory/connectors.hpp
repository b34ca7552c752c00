// connectors.hpp: the connector for a configured source, by its kind (the ConnectorFactory that
// `mailprune crawl` uses). Throws std::runtime_error for a kind that is not available.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "interface/connector.hpp"

namespace mailprune::inventory {

std::unique_ptr<connector::Connector> make_connector(const config::SourceConfig& source);

}  // namespace mailprune::inventory
