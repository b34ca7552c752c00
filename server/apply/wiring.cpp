#include "apply/wiring.hpp"

#include "inventory/connectors.hpp"

namespace mailprune::apply {

EngineWiring::EngineWiring(const config::Config& config, db::Database& database, bool dry_run) : database_(database) {
  context_.config = &config;
  context_.connections = [this] {
    std::lock_guard lock(database_mutex_);
    return database_.connect();
  };
  context_.connectors = inventory::make_connector;
  if (!dry_run) {
    store_ = std::make_unique<archive::ArchiveStore>(archive::ArchiveStore::default_root(config));
    signer_ = std::make_unique<archive::LinkSigner>(config);
    context_.store = store_.get();
    context_.make_link = [signer = signer_.get()](std::int64_t reference_id, const connector::Sha256& sha256,
                                                  const std::string& file_name, std::int64_t now) {
      return signer->link_for(reference_id, sha256, file_name, now);
    };
  }
}

}  // namespace mailprune::apply
