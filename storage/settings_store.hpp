#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/master_store.hpp"

namespace weft::storage {

/// One row of `settings`: a value set on the running cluster (the shell's `set KEY VALUE`).
struct setting_row {
  std::string name;    ///< dotted key, e.g. "scheduler.min_batch_size"
  std::string value;   ///< as given to put(); storage does not interpret it
  std::string set_by;  ///< who set it, for people ("shell alice@ops1")
  std::string set_at;  ///< database clock, "YYYY-MM-DD HH:MM:SS.ffffff"
  /// Grows with every put(): applying the rows by ascending `seq` repeats the changes in the
  /// order they were made.
  int64_t seq = 0;
};

/// The run-time overrides of settings, kept in the `settings` table so that they survive a
/// master restart (docs/storage.md). Storage knows nothing of what the names mean: the
/// caller validates a value before put() and again when it applies the rows.
///
/// Every call blocks on the database (call it from a detached actor or a worker thread) and
/// throws storage_error on failure.
class settings_store {
 public:
  /// With a fence (the active master's), put() and remove() commit only while the scheduler
  /// lease still carries its token (storage_error `fenced` otherwise).
  explicit settings_store(database& db, std::optional<write_fence> fence = std::nullopt)
      : db_(db), fence_(std::move(fence)) {}

  /// Every override, in the order they were made (seq ascending).
  std::vector<setting_row> all();

  /// Inserts or replaces `name` with `value`, `set_by` and set_at = now (database clock); its
  /// `seq` becomes greater than that of every row, its own former value included. One atomic
  /// statement.
  void put(const std::string& name, const std::string& value, const std::string& set_by);

  /// Removes an override (back to the topology/default); false if there was none.
  bool remove(const std::string& name);

 private:
  /// Runs `f` on a session; with the fence, in one transaction that checks it first.
  template <class F>
  auto write(F&& f);

  database& db_;
  std::optional<write_fence> fence_;
};

}  // namespace weft::storage
