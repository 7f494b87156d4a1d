#pragma once

// The node's scrape-time metrics (docs/operations.md "Metrics"): what lives in
// the database (jobs by state and class, queued batches, engines by state,
// remote engines, nodes, leases, sweeps) and what the topology says (expected
// remote engines). The counters and histograms actors update themselves are in
// actors/ (metrics::global()). No CAF.

#include <chrono>
#include <string>

#include "config/settings.hpp"
#include "storage/database.hpp"

namespace weft::runtime {

/// Registers the database-backed gauges with metrics::global(). A scrape reads
/// the database at most once per `cache_for` and waits at most `timeout` for it;
/// a slower or failed read leaves those families out of that scrape and counts
/// in weft_metrics_collect_errors_total (the node's own counters are still
/// exposed). `db` and `settings` must outlive every scrape (the node's life).
void register_node_metrics(storage::database& db, const config::settings& settings,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                           std::chrono::milliseconds cache_for = std::chrono::milliseconds(500));

/// The text of GET /metrics: metrics::global().expose().
std::string metrics_text();

}  // namespace weft::runtime
