#pragma once

// The master's webhook dispatcher (docs/operations.md "Webhooks"): finds jobs
// that ended with a callback_url, records one delivery for each in the
// database, and POSTs it — signed, retried with capped exponential back-off
// until `[webhooks].retry_for` has passed. The deliveries live in the
// database, so a restarted master resumes the pending ones: at least once,
// with a delivery id for the receiver to de-duplicate. No CAF; Beast's client
// is confined to webhook_dispatcher.cpp.

#include <memory>
#include <string>

#include "config/settings.hpp"
#include "storage/database.hpp"

namespace weft::runtime {

/// The key that signs callbacks of jobs submitted with the cluster secret
/// (CAF client, shell): hex of HMAC-SHA256(cluster secret, "weft webhook
/// signing key v1"). Receivers are given this, never the cluster secret
/// (`caf-node webhook-key --config FILE` prints it).
std::string cluster_webhook_key(const std::string& cluster_secret);

/// "sha256=" + hex HMAC-SHA256(key, body): the X-Weft-Signature header.
std::string webhook_signature(const std::string& key, const std::string& body);

/// Runs on its own thread from construction until destruction (which stops it
/// within about a second, abandoning no database write half done).
class webhook_dispatcher {
 public:
  /// `db` and `settings` must outlive the dispatcher.
  webhook_dispatcher(storage::database& db, const config::settings& settings);
  ~webhook_dispatcher();
  webhook_dispatcher(const webhook_dispatcher&) = delete;
  webhook_dispatcher& operator=(const webhook_dispatcher&) = delete;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace weft::runtime
