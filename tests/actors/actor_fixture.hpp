#pragma once

// The fast deterministic tier's fixture: Weft's actors in one process on
// CAF's test coordinator (one thread, deterministic order, virtual time).
//
// Why not caf/test/dsl.hpp: its test_coordinator_fixture reads the command line
// through CAF's own unit-test engine (caf::test::engine::argc) and its
// expect/allow macros report through CAF_FAIL and friends, which need CAF's
// test runner instead of Boost.Test's. The part we need is small: a system whose
// scheduler policy is "testing", `sched.run()` to deliver every message that
// is due, and the virtual clock (`advance`) for timers.
//
// Every message a test sends or expects goes through a function of this file:
// when the protocol changes (actors/protocol.hpp), this file changes and the
// tests do not. The scheduler runs against a fake store (an event-based actor
// answering the store worker's protocol from an in-memory model, see
// store_worker.hpp); the engines are played by the test through `engine_probe`s,
// which record what they receive.

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/planning/scheduling_policy.hpp"
#include "config/settings.hpp"
#include "storage/database.hpp"
#include "storage/job_store.hpp"

namespace weft::actors::testing {

using planning::batch;
using planning::engine_type;

/// A batch's new attempt as the scheduler told the store.
struct attempt_record {
  int64_t job = 0;
  storage::phase phase = storage::phase::merge;
  int batch_no = 0;
  int attempt = 0;
};

/// What the fake store holds and was told. Tests read it to see what the
/// scheduler persisted, and set `failing` to make requests fail.
struct store_model {
  std::map<int64_t, storage::job_row> jobs;
  /// Open batches by job and phase (merge 0, weave 1).
  std::map<int64_t, std::vector<storage::batch_row>> open[2];
  std::vector<attempt_record> attempts;
  /// Engine rows: id → state ("idle", "standby", "lost").
  std::map<std::string, std::string> engines;
  std::vector<std::string> lost_nodes;
  /// Request kinds answered with an error while listed: "load", "adopt",
  /// "open_batches", "add_batches", "save_mapping", "save_weaving", "save_state", "status".
  std::set<std::string> failing;
  /// Request kinds whose answer is held while listed: the model changes at once (the
  /// database committed), the answer waits for release_held() (a slow reply).
  std::set<std::string> holding;
  /// The held answers, in arrival order; release_held() delivers them.
  std::vector<std::function<void()>> held;
  /// How many requests of each kind arrived.
  std::map<std::string, int> requests;
};

/// Tells the fake store to deliver its held answers (scheduler_fixture::release_held).
using release_held_atom = caf::atom_constant<caf::atom("relheld")>;

/// How a probe answers a request: a message, or nothing (the request then
/// waits for its timeout, like one to a hung actor).
using answer_fn = std::function<std::optional<caf::message>(const caf::message&)>;

/// An actor standing in for an engine, a client, an agent or another actor:
/// every message it receives is kept, in order, for the test to read.
struct probe {
  caf::actor handle;
  std::string id;  ///< an engine's id; empty for a client
  std::shared_ptr<std::deque<caf::message>> inbox;
};

/// A node of the test's topology.
struct node_spec {
  std::string name;
  bool master = false;
  int merge_engines = 1;
  int weaver_engines = 1;
};

/// The actor system on the test coordinator, with helpers to drive it.
class actor_fixture {
 public:
  actor_fixture();
  virtual ~actor_fixture();

  /// Delivers every message that is due (no timer fires).
  void run();
  /// Moves the virtual clock on by `d`, firing the timers due, and runs.
  void advance(std::chrono::milliseconds d);

  /// A probe on the test coordinator; it answers requests with `answer`
  /// (none: it never answers).
  probe spawn_probe(answer_fn answer = {});
  /// Ends `p` as if its actor crashed (monitors get a down message).
  void kill(const probe& p);
  /// Removes and returns the oldest message `p` received, if any.
  std::optional<caf::message> next_message(const probe& p);
  /// The oldest answer `client` received as text ("error: …" for an error), if any.
  std::optional<std::string> text_reply(const probe& client);

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;

 protected:
  /// Shared by the node contexts of the actors under test: set before they are
  /// told to exit (they obey exit messages from this node's actors, or when the
  /// node stops: actors/admission.hpp).
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  /// Tells every spawned actor to exit (the node stops).
  void stop_all();
  /// A local actor to send the test's own messages as: the actors under test
  /// drop anonymous messages, as they would from the network.
  caf::actor local_;
  std::vector<caf::actor> spawned_;  ///< killed at the end
};

/// A scheduler on a fake store, engines played by the test.
class scheduler_fixture : public actor_fixture {
 public:
  scheduler_fixture();

  // -- the world before the scheduler starts --

  /// The topology: "master" (2 merge, 1 weaver engines) unless a test sets it.
  void topology(std::vector<node_spec> nodes);
  /// A job found unfinished in the store at start: `records` records cut into
  /// `merge_batches` open merge batches and `segments` open weave segments
  /// (attempt 1, merging).
  void job_in_store(int64_t job, int64_t records, int merge_batches, int segments = 1);
  /// Starts the scheduler on the fake store; it loads the jobs at once.
  void start_scheduler();

  // -- the mapper (played by the test: no mapper is spawned) --

  /// The jobs the scheduler started a mapping of, in order (once per mapping).
  std::vector<int64_t> mappings_started() const { return *mappings_; }
  /// The mapper says the job's first `stored` records are stored (merging may start).
  void map_progress(int64_t job, int64_t stored, int32_t attempt_base = 0);
  /// The mapper says the job is mapped: `records` records in all.
  void mapped(int64_t job, int64_t records);
  /// The mapper says the database went away: the job is mapped again a second later.
  void map_retry(int64_t job);

  // -- engines --

  /// An engine of `node` (local if `node` is the master) registers; its id is
  /// engine_id(node, type, index). Fails the test if the scheduler refuses it.
  probe engine(const std::string& node, engine_type type = engine_type::merge, int index = 0);
  /// The engine asks for work, reporting nothing done.
  std::optional<batch> want(const probe& engine);
  /// The engine asks for work, reporting `done` (accepted: the store took it).
  std::optional<batch> want(const probe& engine, const batch& done, bool accepted = true);
  /// Prefetch (`take`): the engine reports `finished` (all `accepted` or not), says it
  /// still holds `holding` batches and asks for up to `slots` more. Returns the batches
  /// it was given at once; none when it was told to ask again or is held in a long poll.
  std::vector<batch> take(const probe& engine, int slots, int holding,
                          const std::vector<batch>& finished = {}, bool accepted = true);
  /// A `take` with the report as given (malformed ones included).
  void take_raw(const probe& engine, int slots, int holding, const std::string& finished_json);
  /// The batches a (batches, json) answer gave `engine` since it last asked (its held
  /// long poll answered), if any.
  std::vector<batch> granted(const probe& engine);
  /// A batch the scheduler handed to `engine` since it last asked (its held
  /// long poll answered), if any; a no_work answer gives nullopt.
  std::optional<batch> handed_out(const probe& engine);
  /// True if `engine`'s long poll was answered with the error no_work (ask again).
  bool told_to_ask_again(const probe& engine);
  /// True if the scheduler answered the engine with an error (e.g. unknown).
  bool refused(const probe& engine);
  /// The engine cannot process a batch of `job` for a reason that is the job's.
  void report_failed(const probe& engine, int64_t job, const std::string& reason);
  /// Runs `b` and asks again until the job's batches of `type` are gone;
  /// returns every batch `engine` was given.
  std::vector<batch> work_off(const probe& engine, std::optional<batch> b);

  // -- the cluster and clients --

  void node_lost(const std::string& node);
  /// (drain, node, on) → answered true.
  bool drain(const std::string& node, bool on);
  /// A client asks; its answer lands in the returned probe (reply()).
  probe wait_for(int64_t job, std::chrono::milliseconds max);
  probe cancel(int64_t job);
  /// The JSON answer a client probe got (nullopt: none yet), or the text of
  /// an error prefixed "error: ".
  std::optional<std::string> reply(const probe& client) { return text_reply(client); }
  /// The scheduler's `inspect` answer for `what` (engines, capacity, jobs).
  std::string inspect(const std::string& what);
  /// The effective settings changed (`set`): the scheduler applies `s`.
  void apply(const config::settings& s);
  /// True while the scheduler actor lives.
  bool scheduler_alive();
  /// Delivers the fake store's held answers (store_model::holding) and runs.
  void release_held();

  config::settings settings;
  std::shared_ptr<store_model> store = std::make_shared<store_model>();
  caf::actor scheduler;
  caf::actor fake_store;

 private:
  std::shared_ptr<bool> scheduler_down_ = std::make_shared<bool>(false);
  std::shared_ptr<std::vector<int64_t>> mappings_ = std::make_shared<std::vector<int64_t>>();
};

/// Membership (cooperative, on an in-memory SQLite database) with a probe for
/// the scheduler; extensions are played by agent probes.
class membership_fixture : public actor_fixture {
 public:
  /// Topology: master, ext1, ext2; heartbeat 250 ms, node_timeout 1 s.
  membership_fixture();
  ~membership_fixture() override;

  /// `node`'s agent joins; the answer (the join's serial, or an error's text) lands
  /// in `answer`, or a refusal fails the test.
  probe join(const std::string& node, std::string* answer = nullptr);
  /// `agent` joins (again) as `node`; the join's serial, 0 if refused (`answer` as above).
  uint64_t join_as(const probe& agent, const std::string& node, std::string* answer = nullptr);
  /// The serial of `node`'s last accepted join.
  uint64_t serial(const std::string& node) const { return serials_.at(node); }
  /// The agent says it is alive, for its last join (or for the join `serial`).
  void heartbeat(const probe& agent, const std::string& node);
  void heartbeat(const probe& agent, const std::string& node, uint64_t serial);
  /// The nodes membership told the scheduler it lost, in order (consumed).
  std::vector<std::string> lost();
  /// True if `agent` was told it left the cluster (it must join again), for the join
  /// `serial` (0: any); the message is consumed.
  bool told_to_rejoin(const probe& agent, uint64_t serial = 0);

  config::settings settings;
  std::unique_ptr<storage::database> db;
  probe scheduler;
  caf::actor membership;

 private:
  std::map<std::string, uint64_t> serials_;
};

/// The master's inspector (cooperative, on an in-memory SQLite database) with
/// probes for the actors it reaches.
class inspector_fixture : public actor_fixture {
 public:
  /// Topology: master, ext1; request_timeout 5 s.
  inspector_fixture();
  ~inspector_fixture() override;

  /// Tells the inspector `a` plays `role` (scheduler, membership, agent, ...).
  void register_as(const std::string& role, const probe& a);
  /// A shell command, as a session sends it; the answer lands in the probe.
  probe command(const std::string& command, const std::string& args_json = "{}");
  /// The JSON answer a client got, or "error: " and the error's text.
  std::optional<std::string> reply(const probe& client) { return text_reply(client); }

  config::settings settings;
  std::unique_ptr<storage::database> db;
  caf::actor inspector;
};

/// The answer of a probe standing in for the scheduler to (inspect, what).
answer_fn answers_inspect(const std::string& what, const std::string& json);
/// The answer of a probe standing in for membership: (inspect, node) → `agent`.
answer_fn answers_agent_of(const std::string& node, const caf::actor& agent);

/// Spawns the fake store answering from `model` (store_worker.hpp's protocol).
caf::actor spawn_fake_store(caf::actor_system& sys, std::shared_ptr<store_model> model);

}  // namespace weft::actors::testing
