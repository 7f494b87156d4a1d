#pragma once

// The REST API's own tables and queries: bearer tokens, idempotency keys (tables `api_tokens` and
// `api_idempotency`) and the pages of GET /v1/jobs (docs/api.md "Tokens", docs/storage.md). A token
// is stored only as its hash: whoever reads the database cannot call the API with it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace weft::storage {

/// One row of `api_tokens`.
struct token_row {
  int64_t id = 0;
  std::string name;        ///< unique; what `token revoke NAME` names
  std::string scope;       ///< submit, read or admin
  std::string created_at;  ///< database clock
  std::string expires_at;  ///< "" when it never expires
  std::string revoked_at;  ///< "" while valid
  bool expired = false;    ///< expires_at is past (database clock)
};

/// The API's tokens and the idempotency keys of the jobs they submitted.
///
/// Every call blocks on the database and may throw storage_error; never call
/// it from a cooperative actor.
class api_store {
 public:
  explicit api_store(database& db) : db_(db) {}

  /// Stores a new token by its hash (hex SHA-256). `expires_in` zero: never
  /// expires. @throws storage_error conflict when a token named `name` exists.
  int64_t create(const std::string& name, const std::string& hash, const std::string& scope,
                 std::chrono::milliseconds expires_in, const std::string& webhook_salt = "");

  /// The webhook salt of token `token_id` ("" for a token made before schema version 10,
  /// or an unknown id).
  std::string webhook_salt(int64_t token_id);

  /// The valid (neither revoked nor expired) token with this hash, if any.
  std::optional<token_row> find_valid(const std::string& hash);

  /// Every token, revoked and expired ones included, by name.
  std::vector<token_row> list();

  /// Revokes the token named `name`. @return false when there is none (or it
  /// was revoked already).
  bool revoke(const std::string& name);

  /// The job submitted by token `token_id` with `key` within `window`, if any
  /// (a key still being claimed by a running request counts as none).
  std::optional<int64_t> idempotent_job(int64_t token_id, const std::string& key,
                                        std::chrono::milliseconds window);

  /// What claim_key() found: the key is this request's now (`mine`), names a
  /// job (`done`, `job` set), or another request holds it and is creating its job (`pending`).
  struct key_claim {
    enum { mine, done, pending } state = mine;
    int64_t job = 0;
  };

  /// Claims `key` of token `token_id` before a job is created, so that of two
  /// concurrent requests with one key exactly one creates the job: the claim is a row
  /// of `api_idempotency` with no job yet, and its primary key (token_id, idem_key)
  /// lets only one insert win. Entries older than `window`, and claims without a job
  /// older than `stale` (their request died), are replaced.
  key_claim claim_key(int64_t token_id, const std::string& key, std::chrono::milliseconds window,
                      std::chrono::milliseconds stale);

  /// Records the job created under a claimed key.
  void set_key_job(int64_t token_id, const std::string& key, int64_t job);

  /// Gives a claimed key up (its job was refused): a waiting request may claim it.
  void release_key(int64_t token_id, const std::string& key);

  /// A page of job ids, newest first: those below `before` (0: from the newest)
  /// in `state` ("" every state, "running" every unfinished one), at most `limit`.
  std::vector<int64_t> job_page(const std::string& state, int64_t before, int limit);

 private:
  database& db_;
};

}  // namespace weft::storage
