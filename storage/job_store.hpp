#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/master_store.hpp"

namespace weft::storage {

/// Job states (docs/jobs.md): queued → mapping → merging → weaving → done, or
/// failed / cancelled.
enum class job_state { queued, mapping, merging, weaving, done, failed, cancelled };
const char* to_string(job_state s) noexcept;
/// @throws storage_error corrupt for an unknown name.
job_state job_state_from(const std::string& name);
inline bool finished(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
}

/// What a client submits, after its files are in the file store.
struct new_job {
  std::string format = "pdf";  ///< pdf, txt, html
  std::string template_path;   ///< in the file store
  std::string data_path;       ///< in the file store
  std::string data_format;     ///< csv, ndjson
  std::string options_json;    ///< sort_by, group_by, split_every, name...
  /// Not empty: the job has a callback_url, and this names the key that signs its webhook
  /// ("cluster", "token:ID"); a row of webhook_requests is written with the job.
  std::string webhook_signing;
};

/// One row of `jobs`.
struct job_row {
  int64_t id = 0;
  job_state state = job_state::queued;
  std::string job_class;
  std::string format;
  std::string template_path;
  std::string data_path;
  std::string data_format;
  std::string options_json;
  int64_t record_count = 0;
  int64_t records_done = 0;
  int batch_count = 0;
  int batches_done = 0;
  std::string error;
  std::string submitted_at;  ///< database clock, ISO 8601
  std::string started_at;
  std::string finished_at;
  std::string granted_engines;
};

/// The two phases whose work is cut into batches.
enum class phase { merge, weave };
const char* to_string(phase p) noexcept;

/// One row of `batches`: a record range to merge, or a segment to weave.
struct batch_row {
  int64_t job_id = 0;
  storage::phase phase = phase::merge;
  int batch_no = 0;
  int64_t first_seq = 0;
  int64_t last_seq = 0;
  std::string state = "queued";  ///< queued, running, done
  int attempt = 1;
  std::string engine;
  std::string node;
};

/// One mapped record: its 1-based sequence number and its JSON text.
struct record_row {
  int64_t seq = 0;
  std::string body;
};

/// The content of one merge batch, written by the attempt that won.
struct content_row {
  int64_t job_id = 0;
  int batch_no = 0;
  int attempt = 0;
  std::string path;
  int64_t bytes = 0;
  int64_t records = 0;
  int64_t first_seq = 0;  ///< the batch's record range (read only, from `batches`)
  int64_t last_seq = 0;
};

/// A batch's new attempt (set_attempts).
struct attempt_update {
  int64_t job_id = 0;
  storage::phase phase = phase::merge;
  int batch_no = 0;
  int attempt = 1;
};

/// One output file of a job.
struct output_row {
  int64_t job_id = 0;
  int segment_no = 0;
  std::string path;
  std::string format;
  int64_t documents = 0;
  int64_t pages = 0;
  int64_t bytes = 0;
  /// What the weaver warned about (JSON text, planning::job_json reads it); "" for none.
  std::string warnings;
};

/// One finished batch for complete_batches: a merge batch's `content`, or a
/// weave segment's `output` with its `attempt`.
struct completion {
  storage::phase phase = phase::merge;
  content_row content;  ///< merge: the batch's content (its attempt included)
  output_row output;    ///< weave: the segment's output
  int attempt = 0;      ///< weave: the segment's attempt
};

/// Jobs, their records, batches, content and outputs (docs/storage.md).
///
/// Every call blocks the calling thread on the database: call it from a
/// detached actor or a worker thread, never from a cooperative actor. Every
/// failure is a storage_error. Completions are fenced by attempt number: a
/// result from an attempt that is no longer current changes nothing.
///
/// A store given a write_fence (the master's scheduler and mapper) checks it in the same
/// transaction as each scheduler write — set_state, set_class, set_mapping_report,
/// reset_mapping, insert_records, add_merge_batches, finish_mapping, start_weaving, mark_running,
/// set_attempt, set_attempts — and throws storage_error fenced, changing nothing, once another
/// master took the scheduler lease. Submissions and engines' completions are not fenced by it (the
/// attempt fences completions).
class job_store {
 public:
  explicit job_store(database& db, std::optional<write_fence> fence = std::nullopt)
      : db_(db), fence_(std::move(fence)) {}

  // -- jobs -------------------------------------------------------------------
  int64_t create_job(const new_job& job);
  /// The most bytes one SQL statement may carry on this database (a record row above it is
  /// refused by the mapper, naming the row).
  std::size_t max_statement_bytes() const;
  /// The paths of a job's inputs in the file store, once they are in place.
  struct input_paths {
    std::string template_path;
    std::string data_path;
  };
  /// Creates a job whose inputs are put in place by `place_inputs(id)` inside the same
  /// transaction: no other connection ever sees the row before its inputs are there and
  /// its paths are set, so a scheduler looking for queued jobs cannot take a submission
  /// that is still being made (issue 15). `place_inputs` may run more than once (the
  /// transaction is run again once after a lost connection, with a new id): it must move
  /// the inputs from wherever the previous run left them. When it throws, nothing is created.
  /// A job's records mapped before it is created (a small data file, mapped at submission),
  /// with the mapping report.
  struct mapped_records {
    std::vector<record_row> records;
    std::string report_json;
  };
  /// With `mapped`, its records and report are stored in the same transaction (the job stays
  /// queued: the scheduler plans it at once when told so, or maps it again like any queued
  /// job it adopts — the mapper starts by removing what a mapping left).
  int64_t create_job(const new_job& job, const std::function<input_paths(int64_t id)>& place_inputs,
                     const mapped_records* mapped = nullptr);
  /// @throws storage_error not_found
  job_row job(int64_t id);
  /// Newest first; an empty state lists all.
  std::vector<job_row> jobs(const std::optional<job_state>& state, int limit);
  /// Jobs that are neither done, failed nor cancelled, oldest first.
  /// @throws storage_error unavailable when the read came back short (short_read.hpp).
  std::vector<job_row> unfinished_jobs();
  /// Sets the state; `done`, `failed` and `cancelled` also set finished_at.
  /// A finished job is never moved again (returns false then).
  bool set_state(int64_t id, job_state state, const std::string& error = "");
  void set_class(int64_t id, const std::string& job_class, const std::string& granted);
  /// Stores what mapping found out about the job's data (JSON, docs/jobs.md "Data").
  void set_mapping_report(int64_t id, const std::string& report_json);
  /// The stored mapping report; empty before the job is mapped (or when there is no such job).
  /// @throws storage_error
  std::string mapping_report(int64_t id);
  void set_paths(int64_t id, const std::string& template_path, const std::string& data_path);

  // -- mapping ----------------------------------------------------------------
  /// Removes a job's records, batches, content and outputs and sets its
  /// record and batch counters to zero (before mapping starts again). Returns
  /// the highest attempt of the merge batches it removed (0: none): a merge
  /// batch handed out while the job was still mapping (add_merge_batches) may
  /// still be run by its engine, so the new plan's attempts start above it and
  /// that engine's result is refused by the fence.
  int reset_mapping(int64_t id);
  /// Appends records in one transaction with multi-row statements.
  void insert_records(int64_t id, const std::vector<record_row>& rows);
  /// Merge batches cut while the job is still mapping (issue 15: merging
  /// overlaps mapping), over records already stored; one transaction, the
  /// job's batch count grows by them. They are handed out and completed while
  /// the job is `mapping` (complete_merge takes them then).
  /// @throws storage_error not_found for an unknown job; conflict when the job
  ///   is not `mapping` (cancelled, failed, or mapped already): nothing is changed.
  void add_merge_batches(int64_t id, const std::vector<batch_row>& batches);
  /// Ends mapping in one transaction: stores the record count, the merge
  /// batches and (when the outputs can be planned before merging: no
  /// sort_by/group_by) the weave segments, and moves the job to `merging`.
  /// The batches are stored as job `id`'s, whatever their `job_id` and
  /// `phase` say. By default they replace any earlier batches, content and
  /// outputs; with `keep_added`, the merge batches add_merge_batches stored
  /// (and their results) stay and `batches` are the rest of the plan.
  /// @throws storage_error not_found for an unknown job; conflict when the job
  ///   has finished (e.g. was cancelled while mapping), or with `keep_added`
  ///   is not `queued` or `mapping`: nothing is changed.
  void finish_mapping(int64_t id, int64_t record_count, const std::vector<batch_row>& batches,
                      const std::vector<batch_row>& segments = {}, bool keep_added = false);
  /// Records [first, last] of a job in sequence order (empty when last < first).
  std::vector<record_row> records(int64_t id, int64_t first, int64_t last);

  // -- batches ----------------------------------------------------------------
  /// Batches of a phase that are not done, in batch order.
  /// @throws storage_error unavailable when the read came back short (fewer open
  ///   rows than the phase's batches not counted done after it: short_read.hpp).
  std::vector<batch_row> open_batches(int64_t id, phase p);
  /// Every batch of a phase, done or not, in batch order (the shell's `job ID`).
  std::vector<batch_row> batches(int64_t id, phase p, bool with_done = true);
  /// Moves the job to `weaving`, in one transaction with its weave segments
  /// when `segments` is not empty (they replace any earlier ones); with none,
  /// the segments stored by finish_mapping stay. The segments are stored as
  /// job `id`'s weave batches.
  /// @throws storage_error not_found for an unknown job; conflict when the job
  ///   is not `merging` (cancelled, failed, already weaving): nothing is changed.
  void start_weaving(int64_t id, const std::vector<batch_row>& segments);
  /// Records who runs a batch now (informative; not needed for correctness).
  void mark_running(const batch_row& b);
  /// Sets a batch's attempt (a new attempt after a node was lost). Results of
  /// older attempts are refused from then on.
  void set_attempt(int64_t id, phase p, int batch_no, int attempt);
  /// set_attempt for several batches in one transaction (one fence check, one commit).
  void set_attempts(const std::vector<attempt_update>& updates);
  /// Fenced completion of a merge batch: in one transaction, if the batch is
  /// not done and its attempt is `c.attempt`, marks it done and stores the
  /// content row. Returns whether this result was accepted.
  bool complete_merge(const content_row& c, const std::string& engine, const std::string& node);
  /// Fenced completion of a weave segment, storing its output row. A segment
  /// may be woven while the job is still merging (once the merge batches it
  /// covers are done) or weaving.
  bool complete_weave(const output_row& o, int attempt, const std::string& engine,
                      const std::string& node);
  /// Group commit: several finished batches (merge and weave, of any jobs) in one
  /// transaction, each fenced alone exactly as complete_merge / complete_weave fence
  /// it — a refused result changes nothing and does not refuse its neighbours.
  /// Returns, in order, whether each result was accepted. A storage error rolls back
  /// all of them (none is accepted; the engine tries again).
  std::vector<bool> complete_batches(const std::vector<completion>& results,
                                     const std::string& engine, const std::string& node);
  /// The content rows of every done merge batch of a job, in record order,
  /// with each batch's record range.
  /// @throws storage_error unavailable when the read came back short (fewer rows
  ///   than counted before it: short_read.hpp).
  std::vector<content_row> contents(int64_t id);
  std::vector<output_row> outputs(int64_t id);
  /// Whether a content or output row of the job names `path`: an engine whose
  /// result was refused removes its file only if no accepted result names it.
  bool names_file(int64_t id, const std::string& path);
  /// Batch counts: {done, total} for a phase.
  std::pair<int, int> progress(int64_t id, phase p);

 private:
  database& db_;
  std::optional<write_fence> fence_;
};

/// Throws storage_error unavailable unless `rows` (contents(), in record order) cover
/// records [first, last] of job `job` without a gap: a weave batch is handed out only
/// once the merge batches of its range are done, so a gap means their rows were not
/// all read (short_read.hpp) and the read is retried.
void require_contents_cover(const std::vector<content_row>& rows, int64_t job, int64_t first,
                            int64_t last);

}  // namespace weft::storage
