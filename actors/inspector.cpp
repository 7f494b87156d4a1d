// The inspector: one per node, what the shell sees and steers.
//
// Requests arrive as (inspect, command, args_json) from a client session, from
// the master's inspector (through this node's agent) or from an extension's
// inspector (through its agent and the master's membership). Answers are JSON
// text. Nothing here waits without a limit: every request to another actor or
// node carries a timeout, and a fan-out (`actors`, `engines`) answers with what
// arrived in time plus the names of those that did not answer.

#include "actors/inspector.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/cleanup.hpp"
#include "actors/http/api.hpp"
#include "actors/http/tokens.hpp"
#include "actors/planning/effective_settings.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/protocol.hpp"
#include "actors/settings_message.hpp"
#include "actors/trust/log_text.hpp"
#include "config/config_error.hpp"
#include "config/describe.hpp"
#include "config/duration.hpp"
#include "config/runtime_settings.hpp"
#include "storage/api_store.hpp"
#include "storage/cluster_store.hpp"
#include "storage/job_store.hpp"
#include "storage/master_store.hpp"
#include "storage/settings_store.hpp"
#include "storage/storage_error.hpp"

namespace weft::actors {

using planning::effective_settings;
using planning::job_json;
using planning::parse_job_options;

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct inspected {
  std::string name;
  std::string role;
  caf::actor handle;
};

struct inspector_state {
  node_context ctx;
  std::vector<inspected> actors;
  caf::actor scheduler;   ///< the master's only
  caf::actor membership;  ///< the master's only
  caf::actor agent;       ///< an extension's only
  caf::actor cleanup;
  /// The topology plus the settings changed by `set` (the master keeps them).
  settings_ptr effective;
  bool overridden = false;  ///< `effective` differs from the topology
  /// Answers being read from the database by a worker, by token (see from_db).
  std::map<uint64_t, caf::response_promise> reading;
  uint64_t next_reading = 0;
  static inline const char* name = "inspector";
};

using inspector_actor = caf::stateful_actor<inspector_state>;
using promise = caf::response_promise;

bool is_master(inspector_actor* self) {
  return self->state.ctx.node().role == config::node_role::master;
}

/// The active master's name, for what a standby or an extension forwards through its agent
/// (which is joined to the lease holder): the holder as this node's lease keeper last read it
/// from the database (a standby candidate), else the highest-priority candidate.
std::string master_name(inspector_actor* self) {
  const auto& s = *self->state.ctx.settings;
  const auto address = self->state.ctx.active_master();
  if (!address.empty())
    for (const auto& n : s.nodes)
      if (n.advertise.to_string() == address) return n.name;
  return s.master().name;
}

caf::timespan request_timeout(inspector_actor* self) {
  return std::chrono::duration_cast<caf::timespan>(
      self->state.ctx.settings->cluster.request_timeout);
}

/// How long a probe of one local actor may take: an engine busy with a batch
/// does not answer until it is done, and must not hold up the whole answer.
caf::timespan probe_timeout(inspector_actor* self) {
  return std::min<caf::timespan>(request_timeout(self) / 2, caf::timespan{1s});
}

/// Requests that run a sweep wait as long as a sweep may hold the lease.
caf::timespan timeout_for(inspector_actor* self, const std::string& command) {
  auto t = request_timeout(self);
  if (command == "cleanup_run")
    t += std::chrono::duration_cast<caf::timespan>(self->state.ctx.settings->cleanup.lock_at_most);
  if (command == "wait") t += std::chrono::duration_cast<caf::timespan>(http::max_job_wait);
  return t;
}

std::string duration_text(caf::timespan t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count()) + " ms";
}

/// Why a request to `who` failed, for people.
caf::error not_answering(inspector_actor* self, const std::string& who, const caf::error& err,
                         caf::timespan timeout) {
  if (err == caf::sec::request_timeout)
    return failure(who + " did not answer within " + duration_text(timeout));
  if (weft_error_of(err)) return err;  // a Weft actor's own words
  return failure(who + ": " + error_text(self->system(), err));
}

/// What a database reader may use: its own repositories over the node's pool.
struct db_view {
  db_view(const node_context& c, settings_ptr e)
      : ctx(c), effective(std::move(e)), jobs(*c.db), cluster(*c.db), settings(*c.db) {}
  node_context ctx;
  settings_ptr effective;
  storage::job_store jobs;
  storage::cluster_store cluster;
  storage::settings_store settings;
};

using db_work = std::function<std::string(db_view&)>;

/// Runs `work` (blocking database reads) in a one-shot detached worker and
/// answers `rp` with its JSON, or its failure (the client names the command;
/// the storage error says what went wrong). Reads never hold up the inspector:
/// while the database is away, `logs`, `actors` and `config` still answer
/// (only `set` writes, and the start's load of the stored settings, wait for
/// it). The worker hands its result back; the inspector delivers it.
void from_db(inspector_actor* self, promise rp, db_work work) {
  auto& st = self->state;
  auto token = ++st.next_reading;
  st.reading.emplace(token, std::move(rp));
  auto inspector = caf::actor{self};
  auto ctx = st.ctx;
  auto effective = st.effective;
  self->spawn<caf::detached>([=](caf::event_based_actor* worker) {
    db_view view(ctx, effective);
    try {
      worker->send(inspector, work_done_atom::value, token, true, work(view));
    } catch (const std::exception& e) {
      worker->send(inspector, work_done_atom::value, token, false, std::string{e.what()});
    }
  });
}

bool known_node(inspector_actor* self, const std::string& name) {
  for (const auto& n : self->state.ctx.settings->nodes)
    if (n.name == name) return true;
  return false;
}

std::string node_names(inspector_actor* self) {
  std::string out;
  for (const auto& n : self->state.ctx.settings->nodes) out += (out.empty() ? "" : ", ") + n.name;
  return out;
}

using on_answer = std::function<void(std::string&)>;
using on_error = std::function<void(const caf::error&)>;

/// Asks `to` (named `who` in errors) one inspection request.
void ask(inspector_actor* self, const caf::actor& to, const std::string& who, caf::timespan timeout,
         caf::message request, on_answer ok, on_error bad) {
  if (!to) {
    bad(failure(who + " is not reachable"));
    return;
  }
  self->request(to, timeout, std::move(request))
      .then([ok](std::string& answer) { ok(answer); },
            [=](caf::error& err) { bad(not_answering(self, who, err, timeout)); });
}

/// Asks the inspector of `node` (this one included). The master reaches an
/// extension through the extension's agent; an extension asks the master,
/// which does the same.
void ask_node(inspector_actor* self, const std::string& node, const std::string& command,
              const std::string& args, on_answer ok, on_error bad) {
  auto& st = self->state;
  auto timeout = timeout_for(self, command);
  auto request = caf::make_message(inspect_atom::value, command, args);
  if (node == st.ctx.node().name) {
    ask(self, caf::actor{self}, "node '" + node + "'", timeout, request, ok, bad);
  } else if (is_master(self)) {
    self->request(st.membership, request_timeout(self), inspect_atom::value, node)
        .then(
            [=](caf::actor& agent) {
              ask(self, agent, "node '" + node + "'", timeout, request, ok, bad);
            },
            [=](caf::error& err) {
              bad(not_answering(self, "the membership", err, request_timeout(self)));
            });
  } else {
    // One more hop than the master's own requests: its timeout errors arrive first.
    ask(self, st.agent, "the master '" + master_name(self) + "'", timeout + request_timeout(self),
        caf::make_message(upstream_atom::value, command, args), ok, bad);
  }
}

/// ask_node with the answer (or the error) going to `rp`.
void relay_to(inspector_actor* self, const std::string& node, const std::string& command,
              const std::string& args, promise rp) {
  ask_node(
      self, node, command, args,
      [rp](std::string& answer) mutable { rp.deliver(std::move(answer)); },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
}

// -- this node -----------------------------------------------------------------

/// `actors`: every registered actor with its role and mailbox size. Each one
/// is probed with a timeout; a busy one is shown as not answering.
void local_actors(inspector_actor* self, promise rp) {
  auto& st = self->state;
  struct gather {
    json rows = json::array();
    std::size_t pending = 0;
  };
  auto g = std::make_shared<gather>();
  g->pending = st.actors.size() + 1;
  auto finish = [=]() mutable {
    if (--g->pending > 0) return;
    rp.deliver(json{{"node", self->state.ctx.node().name}, {"actors", g->rows}}.dump());
  };
  // The inspector itself is the one actor that certainly answers.
  g->rows.push_back({{"name", "inspector"},
                     {"role", "inspector"},
                     {"id", self->id()},
                     {"mailbox", self->mailbox().size()},
                     {"answering", true}});
  auto timeout = probe_timeout(self);
  for (const auto& a : st.actors) {
    json row{{"name", a.name}, {"role", a.role}, {"id", a.handle ? a.handle.id() : 0}};
    self->request(a.handle, timeout, inspect_atom::value)
        .then(
            [=](int64_t mailbox) mutable {
              auto r = row;
              r["mailbox"] = mailbox;
              r["answering"] = true;
              g->rows.push_back(std::move(r));
              finish();
            },
            [=](caf::error& err) mutable {
              auto r = row;
              r["mailbox"] = nullptr;
              r["answering"] = false;
              r["why"] = err == caf::sec::request_timeout
                             ? "busy: no answer within " + duration_text(timeout)
                             : self->system().render(err);
              g->rows.push_back(std::move(r));
              finish();
            });
  }
  finish();
}

void local_logs(inspector_actor* self, const json& args, promise rp) {
  auto after = args.value("after", int64_t{0});
  auto max = std::clamp<int64_t>(args.value("max", int64_t{200}), 1, 2000);
  auto lines = json::array();
  int64_t next = after;
  auto found = self->state.ctx.recent_logs(after, static_cast<std::size_t>(max));
  // "last": N — the newest N lines after `after` (what a follower shows first).
  if (auto last = args.value("last", int64_t{0}); last > 0) {
    found = self->state.ctx.recent_logs(after, 2000);
    if (found.size() > static_cast<std::size_t>(last))
      found.erase(found.begin(), found.end() - last);
  }
  for (auto& l : found) {
    next = l.seq;
    lines.push_back({{"seq", l.seq}, {"text", std::move(l.text)}});
  }
  rp.deliver(json{{"node", self->state.ctx.node().name}, {"lines", lines}, {"next", next}}.dump());
}

void local_cleanup_run(inspector_actor* self, const std::string& command, promise rp) {
  auto& st = self->state;
  if (!st.cleanup) {
    rp.deliver(failure("node '" + st.ctx.node().name + "' has no clean-up actor"));
    return;
  }
  auto timeout = timeout_for(self, command);
  self->request(st.cleanup, timeout, cleanup_atom::value, run_atom::value)
      .then([rp](std::string& sweep) mutable { rp.deliver(std::move(sweep)); },
            [=](caf::error& err) mutable {
              rp.deliver(not_answering(self, "the clean-up actor", err, timeout));
            });
}

/// Commands about one node, answered by that node's inspector.
void about_this_node(inspector_actor* self, const std::string& command, const json& args,
                     promise rp) {
  auto& st = self->state;
  if (command == "actors") return local_actors(self, rp);
  if (command == "logs") return local_logs(self, args, rp);
  if (command == "cleanup_run") return local_cleanup_run(self, command, rp);
  if (command == "config") {
    rp.deliver(
        json{{"node", st.ctx.node().name}, {"text", config::describe(*st.effective)}}.dump());
    return;
  }
  if (command == "reload_cleanup") {
    if (st.cleanup) self->send(st.cleanup, cleanup_atom::value, reload_atom::value);
    rp.deliver(json{{"node", st.ctx.node().name}, {"reloaded", bool{st.cleanup}}}.dump());
    return;
  }
  rp.deliver(failure("unknown command '" + command + "'"));
}

// -- from the database (any node) ------------------------------------------------

std::string nodes_json(db_view& st) {
  auto rows = st.cluster.nodes();
  std::map<std::string, int> standby, engines;
  for (const auto& e : st.cluster.engines()) {
    if (e.state == "lost") continue;
    ++engines[e.node];
    if (e.state == "standby") ++standby[e.node];
  }
  // Master failover (docs/cluster.md "Master failover"): the scheduler lease's holder, its
  // token and expiry (database clock), and every candidate, highest master_priority first.
  // Roles come from the topology as written: a standby candidate runs as an extension.
  const auto& topology = st.ctx.topology ? *st.ctx.topology : *st.ctx.settings;
  json master = nullptr;
  std::string active;
  if (auto h = storage::master_store(*st.ctx.db).holder(); h && !h->holder.empty()) {
    master = {{"node", h->holder},
              {"token", h->token},
              {"lock_until", h->lock_until},
              {"expired", h->expired}};
    if (!h->expired) active = h->holder;
  }
  auto candidates = json::array();
  for (const auto* c : topology.master_candidates())
    candidates.push_back({{"name", c->name}, {"master_priority", c->master_priority}});
  // The master sends no heartbeat to itself: its row's heartbeat age would only grow. It is
  // the scheduler lease's live holder, else the topology's master.
  const std::string master_node = active.empty() ? st.ctx.settings->master().name : active;
  auto out = json::array();
  for (const auto& n : topology.nodes) {
    const bool candidate = n.role == config::node_role::master;
    json j{{"name", n.name},
           {"role", candidate ? "master" : "extension"},
           {"master_priority", candidate ? json(n.master_priority) : json(nullptr)},
           {"active_master", candidate && n.name == active},
           {"version", nullptr},
           {"address", n.advertise.to_string()},
           {"state", "absent"},
           {"merge_engines", n.merge_engines},
           {"weaver_engines", n.weaver_engines},
           {"last_heartbeat", nullptr},
           {"heartbeat_age_ms", nullptr},
           {"joined_at", nullptr}};
    for (const auto& r : rows) {
      if (r.name != n.name) continue;
      j["version"] = r.version;
      j["address"] = r.address;
      j["state"] = r.state;
      if (r.state == "up" && engines[r.name] > 0 && standby[r.name] == engines[r.name])
        j["state"] = "standby";  // every engine it has waits beyond the expected total
      if (r.name == master_node && r.state != "lost") {
        j["is_master"] = true;  // no heartbeat of its own: last_heartbeat and age stay null
      } else {
        if (!r.last_heartbeat.empty()) j["last_heartbeat"] = r.last_heartbeat;
        if (r.heartbeat_age_ms >= 0) j["heartbeat_age_ms"] = r.heartbeat_age_ms;
      }
      j["joined_at"] = r.joined_at;
    }
    out.push_back(std::move(j));
  }
  return json{{"nodes", out}, {"master", master}, {"candidates", candidates}}.dump();
}

std::optional<storage::job_state> parse_state(const std::string& s) {
  for (auto st :
       {storage::job_state::queued, storage::job_state::mapping, storage::job_state::merging,
        storage::job_state::weaving, storage::job_state::done, storage::job_state::failed,
        storage::job_state::cancelled})
    if (s == storage::to_string(st)) return st;
  return std::nullopt;
}

/// The live class and engines of a running job, from the scheduler.
void overlay(json& job, const json& live) {
  auto id = std::to_string(job.value("id", int64_t{0}));
  if (!live.is_object() || !live.contains(id)) return;
  const auto& l = live[id];
  job["class"] = l["class"];
  job["engines"] = l["engines"];
  job["allowed"] = l["allowed"];
}

/// `jobs` and `job` read the database; on the master the scheduler adds what
/// only it knows (a class changed by `set`, the engines granted now).
void with_live_jobs(inspector_actor* self, std::function<std::string(db_view&, const json&)> answer,
                    promise rp) {
  auto& st = self->state;
  auto run = [=](const json& live) mutable {
    from_db(self, rp, [answer, live](db_view& v) { return answer(v, live); });
  };
  if (!st.scheduler) return run(json::object());
  self->request(st.scheduler, request_timeout(self), inspect_atom::value, std::string{"jobs"})
      .then([=](std::string& live) mutable { run(json::parse(live, nullptr, false)); },
            [=](caf::error&) mutable { run(json::object()); });
}

void jobs_command(inspector_actor* self, const json& args, promise rp) {
  auto state_name = args.value("state", "");
  std::optional<storage::job_state> state;
  const bool unfinished = state_name == "running";  // every job not finished yet
  if (!state_name.empty() && !unfinished) {
    state = parse_state(state_name);
    if (!state) {
      rp.deliver(failure("unknown job state '" + state_name +
                         "' (running, queued, mapping, merging, weaving, done, failed, "
                         "cancelled)"));
      return;
    }
  }
  auto limit = static_cast<int>(std::clamp<int64_t>(args.value("limit", int64_t{50}), 1, 1000));
  with_live_jobs(
      self,
      [=](db_view& v, const json& live) {
        auto& store = v.jobs;
        auto out = json::array();
        auto rows = unfinished ? store.unfinished_jobs() : store.jobs(state, limit);
        if (rows.size() > static_cast<std::size_t>(limit)) rows.resize(limit);
        for (const auto& row : rows) {
          auto j = json::parse(job_json(store, row.id));
          j["name"] = parse_job_options(row.options_json).name;
          overlay(j, live);
          out.push_back(std::move(j));
        }
        return json{{"jobs", out}}.dump();
      },
      rp);
}

void job_command(inspector_actor* self, const json& args, promise rp) {
  auto id = args.value("id", int64_t{0});
  with_live_jobs(
      self,
      [=](db_view& v, const json& live) {
        auto& store = v.jobs;
        auto j = json::parse(job_json(store, id));
        j["name"] = parse_job_options(store.job(id).options_json).name;
        overlay(j, live);
        auto batches = json::array();
        for (auto p : {storage::phase::merge, storage::phase::weave})
          for (const auto& b : store.batches(id, p))
            batches.push_back({{"type", p == storage::phase::merge ? "merge" : "weaver"},
                               {"batch", b.batch_no},
                               {"first", b.first_seq},
                               {"last", b.last_seq},
                               {"attempt", b.attempt},
                               {"state", b.state},
                               {"engine", b.engine},
                               {"node", b.node}});
        auto outputs = j["outputs"];
        return json{{"job", j}, {"batches", batches}, {"outputs", outputs}}.dump();
      },
      rp);
}

// -- the cluster's live state (the master) ---------------------------------------

/// `engines`: the scheduler's view, each engine's mailbox from its node's
/// `actors`, and the engines of lost nodes from the database.
void engines_command(inspector_actor* self, const json& args, promise rp) {
  auto& st = self->state;
  auto type = args.value("type", "");
  if (!type.empty() && type != "merge" && type != "weaver") {
    rp.deliver(failure("unknown engine type '" + type + "' (merge or weaver)"));
    return;
  }
  struct gather {
    json engines;
    std::map<std::string, json> mailbox;  ///< engine id → mailbox (or null)
    std::vector<std::string> not_answering;
    std::size_t pending = 0;
  };
  auto g = std::make_shared<gather>();
  auto finish = [=]() mutable {
    if (--g->pending > 0) return;
    auto out = json::array();
    std::set<std::string> live;
    for (auto& e : g->engines) {
      live.insert(e.value("id", ""));
      auto m = g->mailbox.find(e.value("id", ""));
      e["mailbox"] = m == g->mailbox.end() ? json(nullptr) : m->second;
      if (type.empty() || e.value("type", "") == type) out.push_back(e);
    }
    auto not_answering = g->not_answering;
    from_db(self, rp, [out, live, type, not_answering](db_view& v) mutable {
      for (const auto& row : v.cluster.engines()) {
        if (live.count(row.id) || row.state != "lost") continue;
        if (!type.empty() && row.type != type) continue;
        out.push_back({{"id", row.id},
                       {"type", row.type},
                       {"node", row.node},
                       {"state", "lost"},
                       {"batches_done", row.batches_done},
                       {"job", nullptr},
                       {"batch", nullptr},
                       {"mailbox", nullptr}});
      }
      return json{{"engines", out}, {"not_answering", not_answering}}.dump();
    });
  };
  g->pending = 1;
  self->request(st.scheduler, request_timeout(self), inspect_atom::value, std::string{"engines"})
      .then(
          [=](std::string& answer) mutable {
            g->engines = json::parse(answer, nullptr, false);
            if (!g->engines.is_array()) g->engines = json::array();
            // Mailbox sizes: ask every node that has engines for its actors.
            std::set<std::string> nodes;
            for (const auto& e : g->engines) nodes.insert(e.value("node", ""));
            g->pending += nodes.size();
            for (const auto& node : nodes)
              ask_node(
                  self, node, "actors", "{}",
                  [=](std::string& node_actors) mutable {
                    auto a = json::parse(node_actors, nullptr, false);
                    if (a.is_object() && a["actors"].is_array())
                      for (const auto& row : a["actors"])
                        g->mailbox[row.value("name", "")] = row["mailbox"];
                    finish();
                  },
                  [=](const caf::error&) mutable {
                    g->not_answering.push_back(node);
                    finish();
                  });
            finish();
          },
          [=](caf::error& err) mutable {
            rp.deliver(not_answering(self, "the scheduler", err, request_timeout(self)));
          });
}

// -- settings (the master) ---------------------------------------------------------

std::string settings_json(db_view& st) {
  std::map<std::string, storage::setting_row> stored;
  for (auto& row : st.settings.all()) stored[row.name] = row;
  auto out = json::array();
  for (const auto& key : config::settable_keys()) {
    json j{{"key", key},
           {"value", config::setting_value(*st.effective, key)},
           {"source", config::topology_source(st.ctx.settings->source_file, key)},
           {"set_by", nullptr},
           {"set_at", nullptr}};
    auto o = stored.find(key);
    if (o != stored.end()) {
      j["source"] = "set";
      j["set_by"] = o->second.set_by;
      j["set_at"] = o->second.set_at;
    }
    out.push_back(std::move(j));
  }
  return json{{"settings", out}}.dump();
}

/// `set KEY VALUE`: validated like the topology file, stored (so that it
/// survives a master restart), then applied: the scheduler at once, the
/// clean-up actors of every node at their next sweep or as soon as told.
void set_command(inspector_actor* self, const json& args, promise rp) {
  auto& st = self->state;
  auto key = args.value("key", "");
  auto value = args.value("value", "");
  auto by = args.value("by", "shell");
  auto changed = std::make_shared<config::settings>(*st.effective);
  std::string previous, now;
  try {
    previous = config::setting_value(*st.effective, key);
    config::apply_setting(*changed, key, value);
    now = config::setting_value(*changed, key);
    // A write: here, in order; fenced on the active master (a paused master woken after a
    // take-over changes nothing).
    storage::settings_store(*st.ctx.db, st.ctx.fence).put(key, now, by);
  } catch (const config::config_error& e) {
    std::string why = e.what();  // "set: KEY: reason"; the client says "set: " itself
    rp.deliver(failure(why.rfind("set: ", 0) == 0 ? why.substr(5) : why));
    return;
  } catch (const storage::storage_error& e) {
    if (e.code == storage::errc::fenced) st.ctx.on_fenced(e.what());
    rp.deliver(failure("set " + key + ": " + e.what()));
    return;
  } catch (const std::exception& e) {
    rp.deliver(failure("set " + key + ": " + e.what()));
    return;
  }
  st.effective = changed;
  st.overridden = true;
  spdlog::info("setting {} = {} (was {}), set by {}", sanitised(key), sanitised(now),
               sanitised(previous), sanitised(by));
  self->send(st.scheduler, apply_atom::value, st.effective);
  if (key.rfind("cleanup.", 0) == 0)
    for (const auto& n : st.ctx.settings->nodes)
      ask_node(
          self, n.name, "reload_cleanup", "{}", [](std::string&) {},
          [name = n.name](const caf::error&) {
            spdlog::info(
                "node '{}' not told of the new clean-up settings: it reads them at "
                "its next sweep",
                name);
          });
  rp.deliver(json{{"key", key}, {"value", now}, {"previous", previous}}.dump());
}

// -- dispatch ---------------------------------------------------------------------

/// Commands only the master can answer (an extension forwards them).
bool masters_command(const std::string& c) {
  return c == "engines" || c == "capacity" || c == "settings" || c == "set" || c == "drain" ||
         c == "undrain" || c == "cancel" || c == "wait";
}

/// Commands about one node (`"node"` in the arguments; none: this node).
bool node_command(const std::string& c) {
  return c == "actors" || c == "config" || c == "logs" || c == "cleanup_run" ||
         c == "reload_cleanup";
}

void drain_command(inspector_actor* self, const std::string& node, bool on, promise rp) {
  auto& st = self->state;
  if (!known_node(self, node)) {
    rp.deliver(failure("no node '" + node + "' in the topology (" + node_names(self) + ")"));
    return;
  }
  // Draining the active master hands the scheduler lease over to a standby candidate
  // (docs/cluster.md "Moving the master on purpose"), once the answer is on its way.
  const bool hand_over = on && node == st.ctx.node().name && st.ctx.fence &&
                         st.ctx.settings->master_candidates().size() > 1;
  self->request(st.membership, request_timeout(self), drain_atom::value, node, on)
      .then(
          [=](bool) mutable {
            json answer{{"node", node}, {"draining", on}};
            if (hand_over) answer["hands_over_the_master"] = true;
            rp.deliver(answer.dump());
            if (hand_over)
              self->delayed_send(self, std::chrono::milliseconds(200), tick_atom::value,
                                 std::string{"drained: the scheduler lease goes to a standby"});
          },
          [=](caf::error& err) mutable {
            rp.deliver(not_answering(self, "the membership", err, request_timeout(self)));
          });
}

/// The shell's `token create|list|revoke` (docs/api.md "Tokens"): the REST API's tokens, in
/// the shared database, so any node answers. The shell is the cluster secret's holder, the
/// cluster's administrator; no HTTP route reaches these commands.
void token_command(inspector_actor* self, const std::string& command, const json& args,
                   promise rp) {
  auto name = args.value("name", "");
  if (command == "token_list")
    return from_db(self, rp, [](db_view& v) {
      storage::api_store api(*v.ctx.db);
      auto out = json::array();
      for (const auto& t : api.list())
        out.push_back({{"name", t.name},
                       {"scope", t.scope},
                       {"created_at", t.created_at},
                       {"expires_at", t.expires_at},
                       {"revoked_at", t.revoked_at},
                       {"state", !t.revoked_at.empty() ? "revoked"
                                 : t.expired           ? "expired"
                                                       : "valid"}});
      return json{{"tokens", out}}.dump();
    });
  if (name.empty() || name.size() > 100) {
    rp.deliver(failure("a token's NAME has 1 to 100 characters"));
    return;
  }
  if (command == "token_revoke")
    return from_db(self, rp, [name](db_view& v) -> std::string {
      storage::api_store api(*v.ctx.db);
      if (!api.revoke(name)) throw std::runtime_error("no valid token named '" + name + "'");
      spdlog::info("token '{}' revoked from the shell", trust::log_text(name));
      return json{{"name", name}, {"revoked", true}}.dump();
    });
  auto scope = args.value("scope", "");
  if (http::parse_scope(scope) == http::scope::none) {
    rp.deliver(
        failure("--scope must be read, submit or admin, not '" + trust::log_text(scope) + "'"));
    return;
  }
  std::chrono::milliseconds expires{0};
  auto expires_text = args.value("expires", "");
  if (!expires_text.empty()) {
    auto d = config::parse_duration(expires_text);
    if (!d || d->count() <= 0) {
      rp.deliver(failure("--expires: '" + trust::log_text(expires_text) +
                         "' is not a duration (\"720h\", \"30m\")"));
      return;
    }
    expires = *d;
  }
  from_db(self, rp, [name, scope, expires](db_view& v) {
    storage::api_store api(*v.ctx.db);
    auto token = http::new_token();
    auto salt = http::new_webhook_salt();
    api.create(name, http::token_hash(token), scope, expires, salt);
    spdlog::info("token '{}' (scope {}) created from the shell", trust::log_text(name), scope);
    return json{
        {"name", name},
        {"scope", scope},
        {"expires_in", expires.count() ? config::format_duration(expires) : ""},
        {"token", token},
        {"webhook_secret", http::token_webhook_secret(v.ctx.settings->cluster.secret, salt)}}
        .dump();
  });
}

void answer(inspector_actor* self, const std::string& command, const std::string& args_text,
            promise rp) {
  auto& st = self->state;
  auto args = json::parse(args_text.empty() ? "{}" : args_text, nullptr, false);
  if (!args.is_object()) {
    rp.deliver(failure(command + ": the arguments are not a JSON object"));
    return;
  }
  if (node_command(command)) {
    auto node = args.value("node", "");
    if (node.empty() || node == st.ctx.node().name) return about_this_node(self, command, args, rp);
    if (!known_node(self, node)) {
      rp.deliver(failure("no node '" + node + "' in the topology (" + node_names(self) + ")"));
      return;
    }
    args.erase("node");  // the node that answers answers for itself
    if (is_master(self)) return relay_to(self, node, command, args.dump(), rp);
    args["node"] = node;  // the master routes it
    return relay_to(self, master_name(self), command, args.dump(), rp);
  }
  if (masters_command(command) && !is_master(self))
    return relay_to(self, master_name(self), command, args_text, rp);
  if (command == "nodes") return from_db(self, rp, nodes_json);
  if (command == "locks")
    return from_db(self, rp, [](db_view& v) {
      return json{{"locks", json::parse(lease_table(v.ctx))}}.dump();
    });
  if (command == "cleanup_status")
    return from_db(self, rp, [limit = args.value("limit", int64_t{20})](db_view& v) {
      auto n = static_cast<int>(std::clamp<int64_t>(limit, 1, 1000));
      return json{{"sweeps", json::parse(sweep_history(v.ctx, n))}}.dump();
    });
  if (command == "jobs") return jobs_command(self, args, rp);
  if (command == "job") return job_command(self, args, rp);
  if (command == "engines") return engines_command(self, args, rp);
  if (command == "capacity") {
    self->request(st.scheduler, request_timeout(self), inspect_atom::value, std::string{"capacity"})
        .then(
            [=](std::string& answer) mutable {
              rp.deliver(json{{"capacity", json::parse(answer)}}.dump());
            },
            [=](caf::error& err) mutable {
              rp.deliver(not_answering(self, "the scheduler", err, request_timeout(self)));
            });
    return;
  }
  if (command == "settings") return from_db(self, rp, settings_json);
  if (command == "set") return set_command(self, args, rp);
  if (command == "drain" || command == "undrain")
    return drain_command(self, args.value("node", ""), command == "drain", rp);
  if (command == "token_create" || command == "token_list" || command == "token_revoke")
    return token_command(self, command, args, rp);
  if (command == "wait") {
    // The REST API's long poll: answered when the job has ended or after max_ms.
    auto id = args.value("id", int64_t{0});
    auto ms = std::clamp<int64_t>(args.value("max_ms", int64_t{0}), 0,
                                  std::chrono::milliseconds(http::max_job_wait).count());
    auto t = request_timeout(self) + std::chrono::milliseconds(ms);
    self->request(st.scheduler, t, wait_atom::value, id, static_cast<int32_t>(ms))
        .then([=](std::string& job) mutable { rp.deliver(std::move(job)); },
              [=](caf::error& err) mutable {
                rp.deliver(not_answering(self, "the scheduler", err, t));
              });
    return;
  }
  if (command == "cancel") {
    auto id = args.value("id", int64_t{0});
    self->request(st.scheduler, request_timeout(self), cancel_atom::value, id)
        .then([=](std::string& job) mutable { rp.deliver(std::move(job)); },
              [=](caf::error& err) mutable {
                rp.deliver(not_answering(self, "the scheduler", err, request_timeout(self)));
              });
    return;
  }
  rp.deliver(failure("unknown command '" + command + "'"));
}

caf::behavior inspector(inspector_actor* self, node_context ctx) {
  auto& st = self->state;
  st.ctx = ctx;
  st.effective = std::make_shared<const config::settings>(*ctx.settings);
  if (is_master(self)) self->send(self, apply_atom::value);
  // A request that fails must not end the inspector.
  self->set_error_handler(
      [](caf::error& err) { spdlog::debug("inspector: {}", caf::to_string(err)); });
  harden(self, ctx, "inspector");
  return trusted_behavior(
      self, ctx, "inspector",
      [=](add_atom, const std::string& name, const std::string& role, const caf::actor& a) {
        auto& s = self->state;
        s.actors.push_back({name, role, a});
        if (role == "scheduler") {
          s.scheduler = a;
          if (s.overridden) self->send(a, apply_atom::value, s.effective);
        }
        if (role == "membership") s.membership = a;
        if (role == "agent") s.agent = a;
        if (role == "cleanup") s.cleanup = a;
      },
      // The master at start: the settings changed by `set` before a restart.
      [=](apply_atom) {
        auto& s = self->state;
        storage::settings_store stored(*s.ctx.db);
        s.effective = effective_settings(*s.ctx.settings, stored);
        s.overridden = config::describe(*s.effective) != config::describe(*s.ctx.settings);
        if (s.scheduler && s.overridden) self->send(s.scheduler, apply_atom::value, s.effective);
      },
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      // drain_command's hand-over of the lease, a moment after its answer left.
      [=](tick_atom, const std::string& why) {
        if (self->current_sender().get() != self->ctrl()) return;  // our own timer only
        self->state.ctx.hand_over(why);
      },
      // A database reader's result (from_db).
      [=](work_done_atom, uint64_t token, bool ok, std::string& text) {
        auto sender = self->current_sender();
        if (!sender || sender->node() != self->node()) return;  // our workers only
        auto& s = self->state;
        auto r = s.reading.find(token);
        if (r == s.reading.end()) return;
        auto rp = std::move(r->second);
        s.reading.erase(r);
        if (ok)
          rp.deliver(std::move(text));
        else
          rp.deliver(failure(text));
      },
      [=](inspect_atom, const std::string& command,
          const std::string& args) -> caf::result<caf::message> {
        answer(self, command, args, self->make_response_promise());
        return caf::message{};
      });
}

}  // namespace

caf::actor spawn_inspector(caf::actor_system& sys, const node_context& ctx) {
  return spawn_hardened(sys, ctx.detach_blocking, inspector, ctx);
}

void register_actor(const caf::actor& inspector, const std::string& name, const std::string& role,
                    const caf::actor& actor) {
  // Sent as the actor itself: the inspector obeys only this node's actors.
  caf::send_as(actor, inspector, add_atom::value, name, role, actor);
}

}  // namespace weft::actors
