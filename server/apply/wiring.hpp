// wiring.hpp: the engine's production dependencies made from the configuration, in one place for
// every caller (`mailprune apply|undo|purge`, `mailprune nightly`, the nightly run inside `serve`):
// database connections for the workers, the connectors of the configured sources, the archive
// store and the signer of the links left in messages.
//
// A dry run gets neither store nor signer: it writes nothing, not even the store's folders or the
// link key.
//
// Ownership: the wiring owns the store and the signer and refers to `database`, which must outlive
// it. context() stays valid as long as the wiring; its connection factory may be called from any
// thread (calls into `database` are serialised here).
#pragma once

#include <memory>
#include <mutex>

#include "apply/engine.hpp"
#include "archive/links.hpp"
#include "archive/store.hpp"
#include "config/config.hpp"
#include "db/database.hpp"

namespace mailprune::apply {

class EngineWiring {
 public:
  // Throws security::KeyError when the link key cannot be loaded or created.
  EngineWiring(const config::Config& config, db::Database& database, bool dry_run);
  EngineWiring(const EngineWiring&) = delete;
  EngineWiring& operator=(const EngineWiring&) = delete;

  const EngineContext& context() const { return context_; }

 private:
  db::Database& database_;
  std::mutex database_mutex_;  // Database is not thread-safe; workers open their connections through it
  std::unique_ptr<archive::ArchiveStore> store_;
  std::unique_ptr<archive::LinkSigner> signer_;
  EngineContext context_;
};

}  // namespace mailprune::apply
