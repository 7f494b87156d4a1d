#include "runtime/node.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/actors.hpp"
#include "actors/cleanup.hpp"
#include "actors/document/layout/font_dirs.hpp"
#include "actors/http/routes.hpp"
#include "actors/http/server.hpp"
#include "actors/http/tokens.hpp"
#include "actors/http_bridge.hpp"
#include "actors/inspector.hpp"
#include "actors/protocol.hpp"
#include "actors/supervisor.hpp"
#include "actors/transport.hpp"
#include "actors/trust/auth.hpp"
#include "config/advice.hpp"
#include "runtime/exit_code.hpp"
#include "runtime/logging.hpp"
#include "runtime/node_metrics.hpp"
#include "runtime/ops_routes.hpp"
#include "runtime/service_notify.hpp"
#include "runtime/signal_waiter.hpp"
#include "runtime/storage_spec.hpp"
#include "runtime/webhook_dispatcher.hpp"
#include "storage/cluster_store.hpp"
#include "storage/database.hpp"
#include "storage/filestore/layout.hpp"
#include "storage/master_store.hpp"
#include "storage/storage_error.hpp"
#include "weft/version.hpp"

namespace weft::runtime {

namespace {

/// Bounds a node's shutdown. Armed once every actor has been told to exit; if
/// the actor system has not finished within `grace` (CAF 0.17 waits for every
/// actor, and for every detached actor to be destroyed: one still referenced
/// keeps the process alive), it logs an error naming what still runs and ends the
/// process with the node's exit code. Everything the node did is in the database by
/// then, and a node that never stops on SIGTERM is worse for an operator than one that
/// stops late. With WEFT_HANG_BACKTRACE=1 in its environment the node also writes every
/// thread's stack (gdb) to its log first. When the system was stopped for a role change
/// (`restart`: a standby taking the scheduler lease over, an active master stepping down),
/// ending the process would leave the cluster without the master it was about to become:
/// the process then executes itself again instead (same arguments, same PID for systemd),
/// and the new process takes its role from the lease as any starting candidate does. Disarmed
/// by its destructor when the shutdown finished in time.
class shutdown_watchdog {
 public:
  /// `describe` says which actors still run; it is called on the watchdog's thread, and
  /// only until system_gone().
  shutdown_watchdog(std::chrono::seconds grace, const int& code, bool restart,
                    std::function<std::string()> describe)
      : describe_(std::move(describe)), thread_([this, grace, &code, restart] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (cv_.wait_for(lock, grace, [this] { return done_; })) return;
          std::string what;
          try {
            what = describe_ ? describe_() : "the actor system has stopped";
          } catch (const std::exception& e) {
            what = e.what();
          }
          spdlog::error("node did not stop within {} s (still running: {}): {}", grace.count(),
                        what, restart ? "restarting the process" : "exiting");
          spdlog::default_logger()->flush();
          dump_backtraces();
          if (restart) execute_again();
          std::_Exit(code);
        }) {}
  ~shutdown_watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  shutdown_watchdog(const shutdown_watchdog&) = delete;
  shutdown_watchdog& operator=(const shutdown_watchdog&) = delete;

  /// The actor system is destroyed: `describe` may no longer look at it.
  void system_gone() {
    std::lock_guard<std::mutex> lock(mutex_);
    describe_ = nullptr;
  }

 private:
  static void dump_backtraces() {
    const char* on = std::getenv("WEFT_HANG_BACKTRACE");
    if (on == nullptr || std::string(on) != "1") return;
    const auto pid = std::to_string(::getpid());
    const auto cmd = "gdb -batch -nx -p " + pid + " -ex 'thread apply all bt' 1>&2";
    if (std::system(cmd.c_str()) != 0) spdlog::error("WEFT_HANG_BACKTRACE: gdb failed");
  }

  /// execv of this program with its arguments; every descriptor but stdin/out/err is closed
  /// first (the listening sockets, the database connections). Returns only when it failed.
  static void execute_again() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
    if (args.empty()) return;
    std::vector<int> open_fds;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
      try {
        const int fd = std::stoi(e.path().filename().string());
        if (fd > 2) open_fds.push_back(fd);
      } catch (const std::exception&) {
      }
    }
    for (int fd : open_fds) ::close(fd);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    const int err = errno;
    std::fprintf(stderr, "cannot execute the node again: %s\n", std::strerror(err));
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::function<std::string()> describe_;
  std::thread thread_;
};

/// Tells the watchdog, once the actor system it is declared before is destroyed, that
/// the system is gone.
struct system_lifetime {
  std::optional<shutdown_watchdog>& watchdog;
  ~system_lifetime() {
    if (watchdog) watchdog->system_gone();
  }
};

/// Tests only (tests/cluster/cluster_failover_test.cpp): WEFT_TEST_ROLE_CHANGE_HANG_MS=N keeps
/// an actor of the system that stops for a role change running for N ms, ignoring the exit —
/// the shape of the rare take-over hang of issue 14, so that the watchdog's restart is tested.
void hang_for_tests(caf::actor_system& sys) {
  const char* v = std::getenv("WEFT_TEST_ROLE_CHANGE_HANG_MS");
  if (v == nullptr) return;
  const auto ms = std::chrono::milliseconds(std::atoll(v));
  sys.spawn<caf::detached>([ms](caf::blocking_actor*) { std::this_thread::sleep_for(ms); });
}

/// What still runs of `actors` (name, address) and of the system: for the watchdog.
std::string still_running(caf::actor_system& sys,
                          const std::vector<std::pair<std::string, caf::actor_addr>>& actors) {
  std::string out;
  for (const auto& [name, addr] : actors) {
    auto p = caf::actor_cast<caf::strong_actor_ptr>(addr);
    if (!p) continue;  // destroyed
    const bool stopped = p->get()->getf(caf::abstract_actor::is_cleaned_up_flag);
    out += (out.empty() ? "" : ", ") + name + (stopped ? " (stopped, still referenced)" : "");
  }
  if (out.empty()) out = "no actor of the node's own";
  return out + "; " + std::to_string(sys.registry().running()) + " actors running, " +
         std::to_string(sys.detached_actors()) + " detached actors not yet destroyed";
}

}  // namespace

namespace {

caf::timespan to_timespan(config::duration d) {
  return std::chrono::duration_cast<caf::timespan>(d);
}

/// CAF's own settings, derived from the topology: the middleman heartbeat
/// detects a hung peer (CAF 0.17 has no node monitoring; docs/cluster.md), the scheduler uses the
/// machine's cores.
void configure_caf(caf::actor_system_config& cfg, const config::settings& s) {
  actors::configure_transport(cfg, s.node_tls(s.this_node()));
  actors::register_weft_errors(cfg);
  auto threads = std::max(2u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  // An idle worker polls its queue 20 times, 50 µs apart, before it waits on its condition
  // variable (woken by the next message) — instead of CAF's 500: a node whose engines run on
  // their own threads spent ~15 % of its CPU in those wake-ups. Measured: a 20,000-record
  // PDF job and 30 one-record jobs, five rounds alternately: node CPU 1,439–1,842 ticks
  // against 1,739–2,562, one-record p50 11–14 ms against 12–16 ms (docs/benchmark.md).
  cfg.set("work-stealing.moderate-poll-attempts", size_t{20});
  cfg.set("middleman.heartbeat-interval", to_timespan(s.cluster.heartbeat));
  cfg.set("middleman.connection-timeout", to_timespan(s.cluster.node_timeout));
  cfg.set("logger.console", caf::atom("none"));
}

}  // namespace

namespace {

/// How a node runs the actor system it starts: a plain extension, the active master holding
/// the scheduler lease with `token`, or a standby master candidate (an extension of the
/// active master that watches the lease).
enum class mode { extension, active, standby };

/// Why one actor system ended: the node stops, or a candidate changes role.
struct run_outcome {
  bool stop = true;
  int code = exit_ok;
  std::optional<int64_t> token;  ///< standby → active: the token the take-over got
  std::string reason;            ///< active → standby: why it stepped down
  bool hand_over = false;        ///< active → standby on purpose (drained): hand the lease over
  /// standby → active: when the lease was last renewed (the standby's keeper renews it while
  /// the actors stop).
  std::chrono::steady_clock::time_point renewed_at = std::chrono::steady_clock::now();
};

/// A role change asked for by the lease thread or by a refused (fenced) write: wakes the
/// main thread's sigwait with SIGUSR1 like request_stop, without an exit code.
class role_switch {
 public:
  void request(const std::string& reason, std::optional<int64_t> token = std::nullopt,
               bool hand_over = false) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (requested_) return;
      requested_ = true;
      reason_ = reason;
      token_ = token;
      hand_over_ = hand_over;
    }
    ::kill(::getpid(), SIGUSR1);
  }
  bool requested() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requested_;
  }
  std::string reason() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reason_;
  }
  std::optional<int64_t> token() {
    std::lock_guard<std::mutex> lock(mutex_);
    return token_;
  }
  bool hand_over() {
    std::lock_guard<std::mutex> lock(mutex_);
    return hand_over_;
  }

 private:
  std::mutex mutex_;
  bool requested_ = false;
  bool hand_over_ = false;
  std::string reason_;
  std::optional<int64_t> token_;
};

std::string advertised_address(const config::settings& s, const std::string& node) {
  for (const auto& n : s.nodes)
    if (n.name == node) return n.advertise.to_string();
  return {};
}

/// Ends the database sessions of the master whose lease was just taken over: a frozen
/// master may hold row locks (a fenced write, its engines' completions) that the new
/// master's first writes would otherwise wait for until the server's idle-transaction
/// timeout (master_store::end_sessions_of).
void end_sessions_of(storage::master_store& store, const std::string& holder,
                     const storage::write_fence& fence) {
  try {
    if (int n = store.end_sessions_of(holder, fence))
      spdlog::warn("ended {} database sessions of the former master '{}' (their locks are free)", n,
                   holder);
  } catch (const std::exception& e) {
    spdlog::warn("cannot end the database sessions of the former master '{}': {}", holder,
                 e.what());
  }
}

/// The scheduler lease's keeper, on its own thread while an actor system runs
/// (docs/cluster.md "Master failover"). On the active master it renews the lease every
/// heartbeat and asks for a step-down when a renewal is refused (another node took over) or
/// when it could not renew for longer than the lease minus a heartbeat (the lease may have
/// expired on the database clock: never two masters). On a standby candidate it reads the
/// lease every heartbeat and takes it over once it has been free for rank × heartbeat
/// (rank 0 = the highest master_priority), so the highest-priority live candidate wins.
class lease_keeper {
 public:
  /// `renewed_at`: when the lease was last taken or renewed (active mode; the keeper of the
  /// standby system that took it over went on renewing it while the systems changed).
  lease_keeper(const config::settings& s, storage::database& db, mode m,
               std::optional<int64_t> token, role_switch& change,
               std::chrono::steady_clock::time_point renewed_at)
      : s_(s), db_(db), mode_(m), token_(token), change_(change), renewed_at_(renewed_at) {
    // Its own connection, giving up after a heartbeat: with the node's pool (which keeps
    // trying to connect for 30 s) a renewal blocked by an unreachable database would keep
    // this loop from stepping down on time; a standby would then take over (the lease
    // expired on the database clock) while this node still thought itself the master.
    // Its writes were fenced anyway, but the logs must not show two masters at once.
    if (db.backend() == storage::backend_kind::mariadb) {
      try {
        auto spec = db.spec();
        spec.pool_size = 1;
        storage::open_options o;
        o.migrate = false;
        own_db_ = storage::database::open(spec, s.cluster.heartbeat, o);
      } catch (const std::exception& e) {
        spdlog::warn("scheduler lease: using the node's database pool ({})", e.what());
      }
    }
    const auto candidates = s.master_candidates();
    for (std::size_t i = 0; i < candidates.size(); ++i)
      if (candidates[i]->name == s.this_node().name) rank_ = static_cast<int>(i);
    thread_ = std::thread([this] { loop(); });
  }
  ~lease_keeper() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  /// The active master's advertised address, as last read ("" unknown); outlives the keeper
  /// (the gateway may still ask while the actors stop).
  std::function<std::string()> active_master() const {
    return [a = active_] {
      std::lock_guard<std::mutex> lock(a->mutex);
      return a->text;
    };
  }

  /// When the lease was last taken or renewed by this keeper (or before it, `renewed_at`).
  std::chrono::steady_clock::time_point renewed_at() {
    std::lock_guard<std::mutex> lock(renewed_mutex_);
    return renewed_at_;
  }

 private:
  void loop() {
    using clock = std::chrono::steady_clock;
    storage::master_store store(own_db_ ? *own_db_ : db_);
    const auto& me = s_.this_node().name;
    const auto beat = s_.cluster.heartbeat;
    const auto lease = s_.cluster.lease();
    auto last_renewed = renewed_at();
    // The token this keeper renews: the active master's; a standby's once it took the lease
    // over, renewed until its actor system has stopped and the active one's keeper goes on
    // (a restart of the actors may take longer than the lease).
    std::optional<int64_t> held = mode_ == mode::active ? token_ : std::nullopt;
    bool free = false;  // seen free since free_since
    auto free_since = clock::now();
    std::string last_problem;
    // Logged when decided (the main thread logs the step-down when it wakes): from here on
    // this node does not act as the master (its writes are fenced anyway once the lease
    // expired on the database clock).
    bool given_up = false;
    auto give_up = [&](const std::string& why) {
      if (!given_up) spdlog::error("giving up the scheduler lease (token {}): {}", *held, why);
      given_up = true;
      change_.request(why);
    };
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cv_.wait_for(lock, beat, [this] { return done_; })) {
      lock.unlock();
      try {
        if (held) {
          const auto started = clock::now();
          // A master that was stalled past its lease must not act as one for a moment more.
          if (started - last_renewed >= lease - beat) {
            give_up("could not renew the scheduler lease (token " + std::to_string(*held) +
                    ") for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       started - last_renewed)
                                       .count()) +
                    " ms, more than master_lease (" + std::to_string(lease.count()) +
                    " ms) minus a heartbeat");
          } else if (store.renew(me, *held, lease)) {
            last_renewed = started;
            set_renewed_at(started);
            last_problem.clear();
          } else {
            auto h = store.holder();
            give_up("the scheduler lease no longer carries token " + std::to_string(*held) +
                    ": held by '" + (h ? h->holder : "") + "' with token " +
                    std::to_string(h ? h->token : 0));
          }
        } else {
          auto h = store.holder();
          {
            std::lock_guard<std::mutex> guard(active_->mutex);
            active_->text = h && !h->expired ? advertised_address(s_, h->holder) : "";
          }
          if (h && !h->expired) {
            free = false;
          } else {
            const auto now = clock::now();
            if (!free) free_since = now;
            free = true;
            // A drained candidate takes no lease (it handed it over on purpose).
            if (now - free_since >= rank_ * beat && !drained(me)) {
              const std::string why = h ? "the lease of '" + h->holder + "' (token " +
                                              std::to_string(h->token) + ") expired at " +
                                              h->lock_until
                                        : "no master yet";
              const auto started = clock::now();
              if (auto token = store.take_over(me, lease, why, false)) {
                if (h && !h->holder.empty() && h->holder != me)
                  end_sessions_of(store, h->holder, {me, *token});
                held = token;
                last_renewed = started;
                set_renewed_at(started);
                change_.request(why, token);
              }
            }
          }
          last_problem.clear();
        }
      } catch (const std::exception& e) {
        if (e.what() != last_problem) spdlog::warn("scheduler lease: {}", e.what());
        last_problem = e.what();
      }
      lock.lock();
    }
  }

  void set_renewed_at(std::chrono::steady_clock::time_point t) {
    std::lock_guard<std::mutex> lock(renewed_mutex_);
    renewed_at_ = t;
  }

  /// Whether `node` is drained (`nodes.state`, kept across rejoins).
  bool drained(const std::string& node) {
    for (const auto& n : storage::cluster_store(db_).nodes())
      if (n.name == node) return n.state == "draining";
    return false;
  }

  const config::settings& s_;
  storage::database& db_;
  std::unique_ptr<storage::database> own_db_;  ///< the lease's own connection (MariaDB)
  const mode mode_;
  const std::optional<int64_t> token_;
  role_switch& change_;
  std::mutex renewed_mutex_;
  std::chrono::steady_clock::time_point renewed_at_;
  int rank_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  struct shared_text {
    std::mutex mutex;
    std::string text;
  };
  std::shared_ptr<shared_text> active_ = std::make_shared<shared_text>();
  std::thread thread_;
};

/// Removes this node's HTTP upload areas (uploads/<prefix>*) that a crash left behind: at
/// start-up none of them belongs to a running request. Never throws.
void remove_crashed_uploads(const std::string& root, const std::string& prefix) {
  std::error_code ec;
  const std::filesystem::path uploads = filestore::uploads_dir(root);
  int removed = 0;
  for (std::filesystem::directory_iterator it(uploads, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || it->is_symlink(ec)) continue;
    std::error_code gone;
    std::filesystem::remove_all(it->path(), gone);
    if (gone)
      spdlog::warn("cannot remove the upload area {} a crash left: {}", it->path().string(),
                   gone.message());
    else
      ++removed;
  }
  if (removed > 0)
    spdlog::info("removed {} HTTP upload area(s) left by this node's previous run", removed);
}

/// systemd's watchdog (WatchdogSec= in weft-node.service, docs/operations.md): every half
/// interval the node's inspector is asked for its mailbox size, and WATCHDOG=1 is sent only
/// when it answered within that half interval — a node whose actor system is stuck (or
/// whose scheduler threads are all blocked) stops pinging, and systemd restarts it.
class service_watchdog {
 public:
  service_watchdog(caf::actor_system& sys, caf::actor inspector, std::chrono::microseconds every)
      : sys_(sys), inspector_(std::move(inspector)), every_(every) {
    if (every_.count() > 0) thread_ = std::thread([this] { run(); });
  }
  service_watchdog(const service_watchdog&) = delete;
  service_watchdog& operator=(const service_watchdog&) = delete;
  ~service_watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    const auto half = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(every_ / 2),
                               std::chrono::milliseconds(10));
    int missed = 0;
    for (;;) {
      bool answered = false;
      try {
        caf::scoped_actor blocker{sys_};
        blocker->request(inspector_, half, actors::inspect_atom::value)
            .receive([&](int64_t) { answered = true; }, [&](caf::error&) {});
      } catch (const std::exception&) {
      }
      if (answered) {
        notify_watchdog();
        if (missed > 0) spdlog::info("watchdog: the node's actors answer again");
        missed = 0;
      } else if (missed++ == 0) {
        spdlog::warn(
            "watchdog: the inspector did not answer within {} ms; no WATCHDOG=1 "
            "is sent until it does",
            half.count());
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, half, [this] { return stop_; })) return;
    }
  }

  caf::actor_system& sys_;
  caf::actor inspector_;
  std::chrono::microseconds every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

/// One actor system of this node, in mode `m`, until a signal or a role change.
run_outcome run_system(const config::settings& topology, storage::database& db,
                       signal_waiter& signals, mode m, std::optional<int64_t> token,
                       std::chrono::steady_clock::time_point renewed_at) {
  // A standby candidate is an extension of the active master for every actor.
  config::settings s = topology;
  if (m == mode::standby) s.nodes[s.self].role = config::node_role::extension;
  const auto& self = s.this_node();
  run_outcome out;
  role_switch change;
  std::optional<lease_keeper> keeper;
  // First: the lease is renewed from the start, while the actor system starts.
  if (m != mode::extension) keeper.emplace(topology, db, m, token, change, renewed_at);
  // The active master delivers the webhooks of jobs that ended (docs/operations.md "Webhooks").
  std::optional<webhook_dispatcher> webhooks;
  if (m == mode::active) webhooks.emplace(db, s);
  {
    // Declared before the actor system, so it outlives the system's destructor.
    std::optional<shutdown_watchdog> watchdog;
    system_lifetime lifetime{watchdog};
    caf::actor_system_config cfg;
    configure_caf(cfg, s);
    caf::actor_system sys{cfg};
    actors::node_context ctx;
    ctx.settings = &s;
    ctx.topology = &topology;
    ctx.db = &db;
    ctx.stop_node = [](int exit_code) { request_stop(exit_code); };
    ctx.recent_logs = [](int64_t after, std::size_t max) { return recent_log_lines(after, max); };
    if (m == mode::active) {
      ctx.fence = storage::write_fence{self.name, *token};
      ctx.on_fenced = [&change](const std::string& why) { change.request(why); };
      ctx.hand_over = [&change](const std::string& why) {
        change.request(why, std::nullopt, /*hand_over=*/true);
      };
    }
    if (m == mode::standby) ctx.active_master = keeper->active_master();
    std::vector<caf::actor> spawned;
    std::vector<caf::actor> engines;
    caf::actor scheduler;
    caf::actor membership;
    // The inspector first: every other actor is registered with it (the shell).
    auto inspector = actors::spawn_inspector(sys, ctx);
    spawned.push_back(inspector);
    std::vector<std::pair<std::string, caf::actor>> core{{"inspector", inspector}};
    auto add = [&](const std::string& name, const std::string& role, const caf::actor& a) {
      actors::register_actor(inspector, name, role, a);
      spawned.push_back(a);
      core.emplace_back(name, a);
    };
    if (self.role == config::node_role::master) {
      auto store = actors::spawn_store_worker(sys, ctx);
      spawned.push_back(store);
      scheduler = actors::spawn_scheduler(sys, ctx, store);
      membership = actors::spawn_membership(sys, ctx, scheduler);
      add("scheduler", "scheduler", scheduler);
      add("membership", "membership", membership);
      actors::register_actor(membership, "inspector", "inspector", inspector);
    }
    for (int i = 0; i < self.merge_engines; ++i)
      engines.push_back(actors::spawn_engine(sys, ctx, actors::engine_type::merge, i, scheduler));
    for (int i = 0; i < self.weaver_engines; ++i)
      engines.push_back(actors::spawn_engine(sys, ctx, actors::engine_type::weaver, i, scheduler));
    for (int i = 0; i < self.merge_engines; ++i)
      add(actors::engine_id(self.name, actors::engine_type::merge, i), "merge engine", engines[i]);
    for (int i = 0; i < self.weaver_engines; ++i)
      add(actors::engine_id(self.name, actors::engine_type::weaver, i), "weaver engine",
          engines[self.merge_engines + i]);
    if (self.role == config::node_role::extension)
      add("agent", "agent", actors::spawn_agent(sys, ctx, engines, inspector));
    add("cleanup", "cleanup", actors::spawn_cleanup(sys, ctx));
    auto gateway = actors::spawn_gateway(sys, ctx, scheduler, membership, inspector);
    add("gateway", "gateway", gateway);
    spawned.push_back(actors::spawn_supervisor(sys, ctx, core));
    auto stop_all = [&] {
      ctx.stopping->store(true);
      for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
      if (watchdog) return;
      std::vector<std::pair<std::string, caf::actor_addr>> named;
      for (const auto& [name, a] : core) named.emplace_back(name, a.address());
      for (const auto& a : spawned)
        if (std::none_of(core.begin(), core.end(), [&](const auto& c) { return c.second == a; }))
          named.emplace_back("actor " + std::to_string(a.id()), a.address());
      watchdog.emplace(std::chrono::seconds(10), out.code, /*restart=*/!out.stop,
                       [&sys, named] { return still_running(sys, named); });
    };
    const bool tls = actors::uses_tls(sys);
    if (tls) actors::log_refused_peers();
    auto port = actors::publish_gateway(sys, gateway, self.listen.port, self.listen.host);
    if (!port) {
      spdlog::error("node.listen: cannot listen on {}: {}", self.listen.to_string(),
                    sys.render(port.error()));
      out.code = exit_failure;
      keeper.reset();
      stop_all();
      return out;
    }
    spdlog::info("node '{}' listening on {}:{} ({}){}", self.name, self.listen.host, *port,
                 tls ? "mutual TLS" : "plain TCP, loopback only",
                 m == mode::active
                     ? ", the active master (scheduler lease token " + std::to_string(*token) + ")"
                 : m == mode::standby ? ", a standby master candidate"
                                      : "");

    // The REST API (docs/api.md), on its own threads; declared after the actor
    // system so that it stops before the system does.
    std::unique_ptr<actors::http_bridge> bridge;
    std::unique_ptr<http::work_pool> http_work;
    std::unique_ptr<http::server> api;
    if (self.http_listen.port != 0) {
      bridge = std::make_unique<actors::http_bridge>(sys, ctx, inspector, scheduler);
      spawned.push_back(bridge->actor());
      http_work = std::make_unique<http::work_pool>(4);
      http::api_context api_ctx;
      api_ctx.settings = &s;
      api_ctx.db = &db;
      api_ctx.work = http_work.get();
      api_ctx.link = bridge.get();
      http::server_options o;
      o.host = self.http_listen.host;
      o.port = self.http_listen.port;
      const auto files = s.node_tls(self);
      o.tls = files.enabled();
      o.cert_file = files.cert_file;
      o.key_file = files.key_file;
      o.threads = s.http.threads;
      o.max_requests = s.http.max_requests;
      o.max_body_size = s.http.max_body_size;
      o.max_upload_size = s.limits.max_upload_size;
      o.header_timeout = s.http.header_timeout;
      o.body_timeout = s.http.body_timeout;
      http::server_hooks hooks;
      storage::database* database = &db;
      hooks.authenticate = [database](const std::string& bearer) {
        return http::authenticate(*database, bearer);
      };
      // A request's upload area is uploads/http-<node tag>-<nonce>; the tag (12 hex digits of
      // SHA-256 of the node's name, a fixed length so that no node's prefix is another's) lets
      // a restarted node remove what its crashed predecessor left, while other nodes sharing
      // the file store may be uploading (docs/operations.md "Upload areas").
      const std::string upload_prefix = "http-" + http::token_hash(self.name).substr(0, 12) + "-";
      remove_crashed_uploads(s.files.root, upload_prefix);
      hooks.new_upload_dir = [root = s.files.root, upload_prefix] {
        auto dir = filestore::upload_dir(root, upload_prefix + trust::make_nonce().substr(0, 16));
        std::filesystem::create_directories(dir);
        return dir;
      };
      hooks.observe = observe_http_request;
      auto routes = http::make_routes(api_ctx);
      add_ops_routes(routes);  // GET /metrics, the status page at / (docs/operations.md)
      api = std::make_unique<http::server>(o, std::move(routes), hooks, *http_work);
      try {
        auto http_port = api->start();
        spdlog::info("node '{}' serves its HTTP API on {}:{} ({})", self.name, o.host, http_port,
                     o.tls ? "HTTPS" : "plain HTTP");
      } catch (const std::exception& e) {
        spdlog::error("node.http_listen: {}", e.what());
        out.code = exit_failure;
        keeper.reset();
        sys.middleman().close(*port);
        stop_all();
        return out;
      }
    }
    notify_ready("node '" + self.name + "' serving on " + self.listen.host + ":" +
                 std::to_string(*port));
    auto pinger = std::make_unique<service_watchdog>(sys, inspector, watchdog_interval());

    int sig = signals.wait();
    pinger.reset();
    const bool stop = !(sig == SIGUSR1 && requested_exit_code() == -1 && change.requested());
    if (stop) {
      if (sig == SIGUSR1) out.code = requested_exit_code();
      spdlog::info("stopping node '{}' ({})", self.name,
                   sig == SIGUSR1 ? "requested" : strsignal(sig));
      notify_stopping("stopping node '" + self.name + "'");
    } else {
      out.stop = false;
      out.token = change.token();
      out.reason = change.reason();
      out.hand_over = change.hand_over();
      if (m == mode::active && out.hand_over)
        spdlog::warn("handing the scheduler lease (token {}) over: {}", *token, out.reason);
      else if (m == mode::active)
        spdlog::error("stepping down as the master (scheduler lease token {}): {}", *token,
                      out.reason);
      else
        spdlog::warn("taking over as the master with scheduler lease token {}: {}", *out.token,
                     out.reason);
    }
    if (api) api->stop();
    if (!out.stop) hang_for_tests(sys);
    // No renewal or take-over while the actors stop — except by a standby that took the
    // lease over: it renews it until the active system's keeper goes on.
    if (!(m == mode::standby && out.token)) keeper.reset();
    sys.middleman().close(*port);
    stop_all();
  }
  if (keeper) out.renewed_at = keeper->renewed_at();
  keeper.reset();
  return out;
}

}  // namespace

int run_node(const config::settings& s) {
  const auto& self = s.this_node();
  signal_waiter signals;  // before any thread starts: every thread inherits the mask
  spdlog::info("weft {} ({}) starting node '{}' as {} of cluster '{}'", version, git_revision,
               self.name,
               self.role != config::node_role::master ? "extension"
               : s.has_standby_masters()              ? "master candidate"
                                                      : "master",
               s.cluster.name);

  for (const auto& warning : config::advice(s)) spdlog::warn("{}", warning);

  // [fonts].dirs: added once to the process's fontconfig, before any layout engine exists
  try {
    document::layout::add_process_font_dirs(s.fonts.dirs);
    for (const auto& d : s.fonts.dirs) spdlog::info("fonts: added the directory {}", d);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return exit_failure;
  }

  std::unique_ptr<storage::database> db;
  try {
    auto spec = storage_spec(s.database);
    spec.session_owner = self.name;
    spdlog::info("database: {}", storage::describe(spec));
    db = storage::database::open(spec, std::chrono::seconds(30));
  } catch (const storage::storage_error& e) {
    spdlog::error("database: {}", e.what());
    return exit_failure;
  }
  register_node_metrics(*db, s);

  if (self.role != config::node_role::master) {
    auto out = run_system(s, *db, signals, mode::extension, std::nullopt,
                          std::chrono::steady_clock::now());
    spdlog::info("node '{}' stopped", self.name);
    return out.code;
  }

  // A master candidate: the active master while it holds the scheduler lease, a standby
  // (an extension of the active one) otherwise (docs/cluster.md "Master failover").
  storage::master_store lease(*db);
  std::optional<int64_t> token;
  std::string why = "node started";
  bool handed_over = false;
  auto renewed_at = std::chrono::steady_clock::now();
  for (;;) {
    if (!token && !handed_over) {
      try {
        // Its own lease, left by this node's previous process, is taken back at once.
        renewed_at = std::chrono::steady_clock::now();
        token = lease.take_over(self.name, s.cluster.lease(), why);
      } catch (const storage::storage_error& e) {
        spdlog::warn("scheduler lease: {}", e.what());
      }
      if (token) spdlog::warn("took the scheduler lease with token {}: {}", *token, why);
    }
    const mode m = token ? mode::active : mode::standby;
    handed_over = false;
    if (m == mode::standby) {
      try {
        auto h = lease.holder();
        spdlog::info(
            "standing by as a master candidate: the scheduler lease is held by '{}' "
            "(token {}, until {})",
            h ? h->holder : "", h ? h->token : 0, h ? h->lock_until : "");
      } catch (const std::exception& e) {
        spdlog::warn("standing by as a master candidate: {}", e.what());
      }
    }
    auto out = run_system(s, *db, signals, m, token, renewed_at);
    if (out.stop) {
      // Stopped on purpose: hand the lease over at once (the successor need not wait for it
      // to expire). Every actor has stopped: this node writes nothing more.
      if (m == mode::active &&
          lease.step_down(self.name, *token, "node stopped", /*hand_over=*/true))
        spdlog::info("handed the scheduler lease (token {}) over", *token);
      spdlog::info("node '{}' stopped", self.name);
      return out.code;
    }
    if (m == mode::active) {
      lease.step_down(self.name, *token, out.reason, out.hand_over);
      token.reset();
      why = "node restarted after stepping down";
      // Handed over on purpose: the lease is free for a standby; this node does not take it
      // back (as a standby it takes none while it is drained, lease_keeper).
      handed_over = out.hand_over;
    } else {
      token = out.token;
      renewed_at = out.renewed_at;
    }
  }
}

}  // namespace weft::runtime
