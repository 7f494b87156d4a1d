#pragma once

// Webhook deliveries (docs/operations.md "Webhooks"): the outbox of job-ended
// callbacks, kept in the database so that a restarted master resumes what was
// pending. Tables `webhook_deliveries` and `webhook_attempts` (migration 9).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// A finished job that asked for a callback and has no delivery yet.
struct webhook_candidate {
  int64_t job_id = 0;
  std::string options_json;  ///< holds callback_url
  std::string signing;       ///< whose key signs it: "cluster" or "token:ID"
};

/// One delivery: a job's callback, its body fixed when the job ended.
struct webhook_delivery {
  int64_t id = 0;
  int64_t job_id = 0;
  std::string delivery_id;  ///< sent as X-Weft-Delivery: receivers de-duplicate by it
  std::string url;
  std::string body;     ///< the job's status JSON
  std::string signing;  ///< whose key signs it: "cluster" or "token:ID" (docs/operations.md)
  std::string state;    ///< pending, delivered, failed
  int attempts = 0;
  int last_status = 0;  ///< the receiver's last HTTP status (0: none)
  std::string last_error;
  bool past_give_up = false;  ///< its retry_for has passed (set by due())
};

/// Repository of webhook deliveries. Every method blocks on the database
/// (call from a thread that may wait) and throws storage_error.
class webhook_store {
 public:
  explicit webhook_store(database& db) : db_(db) {}

  /// Finished jobs (done, failed, cancelled) with a row in webhook_requests (written
  /// with the job when it asked for a callback), oldest first. Reads only that table's
  /// rows (the unfinished callback jobs) and their jobs by primary key, never a scan of jobs.
  std::vector<webhook_candidate> undelivered_jobs(int limit);

  /// Creates the pending delivery of a finished job, due now, given up
  /// `retry_for` from now, and removes its webhook_requests row, in one transaction
  /// (`url` empty: only removes the row). A job has at most one delivery: false when it has one.
  bool create(int64_t job_id, const std::string& delivery_id, const std::string& url,
              const std::string& body, const std::string& signing,
              std::chrono::milliseconds retry_for);

  /// Pending deliveries whose next attempt is due, oldest first.
  std::vector<webhook_delivery> due(int limit);

  /// Records attempt number d.attempts + 1: `status` (0 if no answer), `error`
  /// ("" when delivered), how long it took. Delivered: state delivered.
  /// Otherwise the next attempt is due in `retry_in`, or the delivery is given up
  /// (state failed) when d.past_give_up.
  void record_attempt(const webhook_delivery& d, bool delivered, int status,
                      const std::string& error, std::chrono::milliseconds took,
                      std::chrono::milliseconds retry_in);

  /// The delivery of `job_id` (state "" when there is none).
  webhook_delivery of_job(int64_t job_id);

 private:
  database& db_;
};

}  // namespace weft::storage
