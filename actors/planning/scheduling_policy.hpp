#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace weft::planning {

/// The two kinds of engine the scheduler drives.
enum class engine_type { merge = 0, weaver = 1 };
const char* to_string(engine_type t);
/// An engine's cluster-wide name: "node/merge/0".
inline std::string engine_id(const std::string& node, engine_type t, int index) {
  return node + "/" + to_string(t) + "/" + std::to_string(index);
}

/// Job classes by record count.
enum class job_class { small = 0, medium = 1, large = 2 };
const char* to_string(job_class c);

/// The scheduler's limits for one engine type.
struct type_limits {
  int parallel_medium = 2;
  int parallel_large = 8;
  int reserved[3] = {0, 0, 0};  ///< by job_class
  int additional_engine_every = 100;
  int expected_remote = 0;  ///< the enforced total of remote engines
};

/// All limits the policy applies; can change while jobs run (`set`).
struct scheduling_limits {
  int64_t max_records_small = 100;
  int64_t min_records_large = 10000;
  type_limits merge;
  type_limits weaver;
  const type_limits& of(engine_type t) const { return t == engine_type::merge ? merge : weaver; }
};

/// One unit of work: records [first_seq, last_seq] of a job for a merge
/// engine, or one output segment for a weaver engine.
struct batch {
  int64_t job_id = 0;
  engine_type type = engine_type::merge;
  int batch_no = 0;
  int attempt = 0;  ///< fencing: only this attempt's result is accepted
  int64_t first_seq = 0;
  int64_t last_seq = 0;
};

/// What the policy knows of one engine.
struct engine_info {
  std::string id;  ///< "node/merge/0"
  engine_type type = engine_type::merge;
  std::string node;
  bool local = true;
  bool standby = false;  ///< beyond the expected remote total: gets no work
  /// The batches handed to the engine and not yet reported finished, oldest first: the
  /// one it runs and those it prefetched (`[scheduler] prefetch`, issue 15).
  std::vector<batch> held;
  int64_t batches_done = 0;
};

/// Capacity of one engine type for `capacity` and the logs.
struct capacity_report {
  int local = 0;
  int expected_remote = 0;
  int registered_remote = 0;
  int active = 0;
  int standby = 0;
  bool degraded() const { return registered_remote < expected_remote; }
};

/// The scheduler's decisions, free of actors and I/O so that they can be
/// tested alone: which engine runs which batch, job classes, engines per job,
/// reservations and the expected-remote-engine totals. The
/// scheduler actor persists what this decides; this class holds no state that
/// the database does not also hold, except who is running what right now.
class scheduling_policy {
 public:
  explicit scheduling_policy(scheduling_limits limits = {});

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
  /// With `keep_order`, a job added before keeps its place in the order and only its
  /// record count (so its class) changes: a job whose merge batches are cut while it
  /// is still mapping grows (issue 15).
  void add_job(int64_t job_id, int64_t records, bool keep_order = false);
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

  // -- waiting engines ----------------------------------------------------------

  /// `engine_id` waits for work (its long poll): up to `slots` batches, by `another_for`
  /// when `multi` (prefetch, `take`), else by `next_for` (`want`: a batch it still holds
  /// comes again). Replaces an earlier wait of the engine; an unknown engine is ignored.
  void wait(const std::string& engine_id, int slots, bool multi);
  /// The engine stops waiting (its poll expired or was answered); no-op if it was not.
  void unwait(const std::string& engine_id);
  bool waiting(const std::string& engine_id) const { return waiting_.count(engine_id) > 0; }
  /// Hands batches to the waiting engines: in rounds, one batch to each waiting engine
  /// (in engine id order) per round, up to its slots, so that an engine that prefetches
  /// does not take a second batch while another engine waits for its first. Returns
  /// what each engine got (engines that got nothing are left out); those engines no
  /// longer wait. Costs O((batches handed out + waiting engines that hold batches +
  /// waiting standby or draining engines) × log n): a waiting engine that cannot get
  /// anything is not looked at (issue 15; the full scan it replaces is kept as the
  /// oracle of scheduling_policy_oracle_test).
  std::map<std::string, std::vector<batch>> dispatch();
  /// How many times the last dispatch() asked for a batch for a waiting engine (answered
  /// or not): what its cost is proportional to (tests, benchmarks).
  std::size_t looked_at() const { return looked_at_; }

 private:
  struct job_entry {
    int64_t records = 0;
    uint64_t order = 0;
    std::deque<batch> queue[2];
    std::size_t running[2] = {0, 0};  ///< engines holding its batches, by type
    std::size_t held[2] = {0, 0};     ///< its batches held by engines, by type
    /// Where the job is filed in ready_ (by type): its class then, or -1 when not ready.
    int ready_class[2] = {-1, -1};
  };
  struct waiter {
    int slots = 1;
    bool multi = false;
  };
  using job_key = std::pair<uint64_t, int64_t>;  ///< (submission order, job id)

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
  /// Files `j` in ready_[type] under its class if it has queued work of `type` and room
  /// for one more engine, else takes it out. Called after anything that changes those.
  void refresh(int64_t job_id, job_entry& j, engine_type type);
  /// Recounts the active engines and the busy counts and files every job again: after a
  /// change of limits, engines or draining (rare events; O(engines + jobs)).
  void refresh_all();
  /// Adds `delta` to the busy count of `j`'s class for `type`.
  void count_busy(const job_entry& j, engine_type type, int delta);
  /// Whether an engine of `type` that holds nothing could get a batch now.
  bool fresh_work(engine_type type) const;
  /// The waiting engines of `type` that got a batch in round 0, then further rounds.
  void dispatch_type(engine_type type, std::map<std::string, std::vector<batch>>& given);

  scheduling_limits limits_;
  std::map<std::string, engine_info> engines_;
  std::map<int64_t, job_entry> jobs_;
  std::set<std::string> draining_;
  uint64_t next_order_ = 0;
  uint64_t next_registration_ = 0;
  std::map<std::string, uint64_t> registration_;  ///< remote engines: first come, first active

  // Kept incrementally so that a decision costs O(log n) (issue 15):
  /// By type and class: the jobs with queued work of the type and fewer engines than
  /// allowed, in submission order.
  std::set<job_key> ready_[2][3];
  /// By type and class: engines holding a batch of a job of the class (the sum of
  /// job_entry::running over the class's jobs), what the reservations compare.
  int busy_[2][3] = {{0, 0, 0}, {0, 0, 0}};
  /// By type: engines neither on standby nor on a draining node.
  int active_[2] = {0, 0};
  /// By type: registered remote engines (set by rebalance_standby, counted by add_engine).
  int remote_count_[2] = {0, 0};
  std::map<std::string, waiter> waiting_;
  /// By type: the waiting engines' ids, and those of them that held a batch when they
  /// began to wait (a superset of the waiting engines that hold one now).
  std::set<std::string> waiting_ids_[2];
  std::set<std::string> waiting_holding_[2];
  std::size_t looked_at_ = 0;
};

}  // namespace weft::planning
