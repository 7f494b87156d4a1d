#pragma once

// The scheduler's decisions as they were before issue 15 made them incremental: every
// question walks every job and every engine, and `reference_dispatch` walks every waiting
// engine in rounds like the scheduler actor's old dispatch(). Kept word for word (renamed)
// as the oracle that scheduling_policy_oracle_test compares the incremental policy with.
// Not used by any product code.

#include "actors/planning/scheduling_policy.hpp"

namespace weft::planning::reference {

/// The scheduler's decisions, free of actors and I/O so that they can be
/// tested alone: which engine runs which batch, job classes, engines per job,
/// reservations and the expected-remote-engine totals. The
/// scheduler actor persists what this decides; this class holds no state that
/// the database does not also hold, except who is running what right now.
class reference_policy {
 public:
  explicit reference_policy(scheduling_limits limits = {});

  /// Changes the limits; running jobs are reclassified at once and standby
  /// engines re-evaluated.
  void set_limits(const scheduling_limits& limits);
  const scheduling_limits& limits() const { return limits_; }

  // -- engines ----------------------------------------------------------------

  /// Registers an engine. Remote engines beyond the expected total go on standby.
  void add_engine(const std::string& id, engine_type type, const std::string& node, bool local);
  /// Removes every engine of `node` (lost or left); their batches (running and
  /// prefetched) go back to their job's queue with the next attempt number, which is
  /// returned so that the caller can persist it before anything is dispatched again.
  std::vector<batch> remove_node(const std::string& node);
  /// Removes one engine (its actor is gone); its batches, if any, go back to
  /// their job's queue with the next attempt, which is returned.
  std::vector<batch> remove_engine(const std::string& id);
  /// A draining node gets no new work; running batches finish.
  void set_draining(const std::string& node, bool draining);
  bool draining(const std::string& node) const { return draining_.count(node) > 0; }
  const std::map<std::string, engine_info>& engines() const { return engines_; }
  capacity_report capacity(engine_type type) const;

  // -- jobs -------------------------------------------------------------------

  /// Adds a job (in submission order) with its record count.
  void add_job(int64_t job_id, int64_t records);
  /// Queues batches of a job (merge batches after mapping, segments for weaving).
  void add_batches(const std::vector<batch>& batches);
  /// Forgets a job (done, failed, cancelled); batches running on engines are
  /// abandoned: their results will be refused.
  void remove_job(int64_t job_id);
  bool has_job(int64_t job_id) const { return jobs_.count(job_id) > 0; }
  job_class class_of(int64_t job_id) const;
  /// Engines of `type` a job may use at once right now.
  int engines_allowed(int64_t job_id, engine_type type) const;
  /// Engines of `type` holding at least one of the job's batches right now (running
  /// or prefetched): what parallel_per_job and the reservations limit.
  int engines_granted(int64_t job_id, engine_type type) const;
  /// Batches of `type` queued (not handed out) for the job.
  std::size_t queued(int64_t job_id, engine_type type) const;
  /// Batches of `type` held by engines for the job (running or prefetched).
  std::size_t running(int64_t job_id, engine_type type) const;

  // -- dispatch ---------------------------------------------------------------

  /// An idle engine asks for work: the batch it should run, if any. The
  /// engine is busy with it until complete() or the engine's node is removed.
  /// An engine that asks while it still counts as busy (its assignment or its
  /// completion message was lost on the way) gets the same batch and attempt
  /// again: completion is fenced in the database, so running it twice is
  /// harmless.
  std::optional<batch> next_for(const std::string& engine_id);
  /// One more batch for an engine that may already hold some (prefetch): the oldest
  /// job with queued work that either has this engine already (it counts once) or
  /// has room for one more engine within its limit and the reservations. Never a
  /// batch the engine holds.
  std::optional<batch> another_for(const std::string& engine_id);
  /// The batches `engine_id` holds, oldest first (none for an unknown engine).
  const std::vector<batch>& held(const std::string& engine_id) const;
  /// The engine finished `b` (or gave it up). Returns false when this is not
  /// the attempt the policy handed out (a late result from an old attempt).
  bool complete(const std::string& engine_id, const batch& b);

 private:
  struct job_entry {
    int64_t records = 0;
    uint64_t order = 0;
    std::deque<batch> queue[2];
    std::size_t running[2] = {0, 0};  ///< engines holding its batches, by type
    std::size_t held[2] = {0, 0};     ///< its batches held by engines, by type
  };

  job_class classify(int64_t records) const;
  int allowed(const job_entry& job, engine_type type) const;
  int active_engines(engine_type type) const;
  bool reservation_allows(engine_type type, job_class cls) const;
  std::vector<batch> release(engine_info& e);
  /// Whether `e` holds a batch of `job` of `type`.
  static bool holds(const engine_info& e, int64_t job, engine_type type);
  /// Takes the front batch of `j`'s queue of `type` for `e`, counting it.
  batch grant(engine_info& e, int64_t job_id, job_entry& j, engine_type type);
  void rebalance_standby(engine_type type);

  scheduling_limits limits_;
  std::map<std::string, engine_info> engines_;
  std::map<int64_t, job_entry> jobs_;
  std::set<std::string> draining_;
  uint64_t next_order_ = 0;
  uint64_t next_registration_ = 0;
  std::map<std::string, uint64_t> registration_;  ///< remote engines: first come, first active
};

/// One waiting engine as the old scheduler actor kept it.
struct reference_waiter {
  int slots = 1;
  bool multi = false;
};

/// The old scheduler actor's dispatch(): in rounds, one batch to each waiting engine
/// (in id order) per round, up to its slots. Returns what each engine got; the caller
/// removes the engines that got something from `waiting`.
std::map<std::string, std::vector<batch>> reference_dispatch(
    reference_policy& p, const std::map<std::string, reference_waiter>& waiting);

}  // namespace weft::planning::reference
