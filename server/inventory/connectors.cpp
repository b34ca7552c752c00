#include "inventory/connectors.hpp"

#include <stdexcept>

namespace mailprune::inventory {

std::unique_ptr<connector::Connector> make_connector(const config::SourceConfig& source) {
  if (source.kind == "imap") {
    throw std::runtime_error("source '" + source.name + "': the IMAP connector is not built yet");
  }
  throw std::runtime_error("source '" + source.name + "': no connector for kind '" + source.kind + "'");
}

}  // namespace mailprune::inventory
