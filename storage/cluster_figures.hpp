#pragma once

// The cluster's figures that live in the database, read in one go for the
// metrics a scrape exposes (docs/operations.md "Metrics"): jobs by state and
// class, queued batches, engines by state, leases and sweeps.

#include <cstdint>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// A count under up to two labels (e.g. jobs: state, class).
struct labelled_count {
  std::string first;
  std::string second;
  int64_t count = 0;
};

/// What read_cluster_figures found.
struct cluster_figures {
  std::vector<labelled_count> jobs;            ///< state, job class ("" before mapping)
  std::vector<labelled_count> queued_batches;  ///< phase (merge, weave), ""
  std::vector<labelled_count> engines;         ///< state (idle, busy, standby, lost), type
  std::vector<labelled_count> remote_engines;  ///< type: engines of extensions not lost
  std::vector<labelled_count> nodes;           ///< state (up, draining, lost), role
  std::vector<labelled_count> leases;          ///< lease name, holder (only leases held now)
  std::vector<labelled_count> sweeps;          ///< status (done, failed, running), ""
  int64_t sweep_rows = 0;  ///< rows every sweep in the table deleted (jobs+records+content+outputs)
};

/// Reads the figures with a handful of aggregate queries on one pooled session.
/// Blocks: call from a thread that may wait (the metrics scrape bounds it).
/// @throws storage_error when the database cannot be read.
cluster_figures read_cluster_figures(database& db);

}  // namespace weft::storage
