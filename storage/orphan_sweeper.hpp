#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "storage/database.hpp"
#include "storage/sweep_store.hpp"

namespace weft::filestore {
class directory;
}

namespace weft::storage {

/// The orphan-file sweep: removes files of the file store that no row needs any more.
///
/// It walks `<root>/jobs/<id>/…` and `<root>/uploads/…` one directory entry at a time
/// (memory does not grow with the tree), never follows a symbolic link (a link is
/// treated as a file: the link itself may be removed, never its target; every step is
/// relative to an open directory descriptor, so a directory swapped for a link while
/// the sweep runs is not followed either — filestore/directory.hpp), and never
/// touches anything else under the root (the embedded database, for one). A file
/// younger than `min_age` (its mtime, on this node's clock) is never removed. Among the
/// older ones (docs/cleanup.md "What is deleted" has the table):
///
/// * `jobs/<id>/` whose job row does not exist: every file, then the empty directories
///   (also when only directories are left: what a sweep killed in the middle leaves);
/// * a finished job: files under `content/` and `out/` that no `content` or `outputs`
///   row references (dead attempts, `.part` leftovers, rows removed by retention);
///   `input/` and anything else stay while the job row exists;
/// * a job still running: only `content/m<B>.a<A>.bin[.part]` and
///   `out/<name>-<NNNN>[.a<A>].<ext>[.part]` whose attempt A is older than the current
///   attempt of that batch and that no row references; everything else stays;
/// * `uploads/`: every file (upload areas of sessions that ended without cleaning up),
///   then the empty directories that were already older than `min_age`.
///
/// Database references are compared by their path relative to the job's directory, so
/// nodes that mount the share at different places still agree.
class orphan_sweeper {
 public:
  orphan_sweeper(database& db, std::string files_root, std::chrono::milliseconds min_age)
      : db_(db), root_(std::move(files_root)), min_age_(min_age) {}

  /// Runs the sweep, adding removed files and bytes to `counts` as it goes.
  /// `keep_going` is asked every few dozen entries; false stops the walk there.
  /// @return true when the walk finished, false when `keep_going` stopped it.
  /// @throws storage_error for database failures (file errors are counted, not thrown).
  bool run(sweep_counts& counts, const std::function<bool()>& keep_going);

 private:
  bool sweep_job_dir(int64_t job, const filestore::directory& jobs, const std::string& name,
                     const filestore::directory& dir, sweep_counts& counts,
                     const std::function<bool()>& keep_going);
  bool sweep_upload_dir(const filestore::directory& uploads, const std::string& name,
                        sweep_counts& counts, const std::function<bool()>& keep_going);

  database& db_;
  std::string root_;
  std::chrono::milliseconds min_age_;
};

}  // namespace weft::storage
