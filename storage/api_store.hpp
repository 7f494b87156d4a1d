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
                 std::chrono::milliseconds expires_in);

  /// The valid (neither revoked nor expired) token with this hash, if any.
  std::optional<token_row> find_valid(const std::string& hash);

  /// Every token, revoked and expired ones included, by name.
  std::vector<token_row> list();

  /// Revokes the token named `name`. @return false when there is none (or it
  /// was revoked already).
  bool revoke(const std::string& name);

  /// The job submitted by token `token_id` with `key` within `window`, if any.
  std::optional<int64_t> idempotent_job(int64_t token_id, const std::string& key,
                                        std::chrono::milliseconds window);

  /// Remembers that token `token_id` submitted `job` with `key` (replacing an
  /// older entry of that key). @return the job the key names afterwards: `job`,
  /// or the one a concurrent request with the same key recorded first.
  int64_t remember_job(int64_t token_id, const std::string& key, int64_t job,
                       std::chrono::milliseconds window);

  /// A page of job ids, newest first: those below `before` (0: from the newest)
  /// in `state` ("" every state, "running" every unfinished one), at most `limit`.
  std::vector<int64_t> job_page(const std::string& state, int64_t before, int limit);

 private:
  database& db_;
};

}  // namespace weft::storage
