// The deterministic tier's fixture (actor_fixture.hpp). Every message the
// tests exchange with the actors is written here, and only here.

#include "tests/actors/actor_fixture.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "actors/errors.hpp"
#include "actors/inspector.hpp"
#include "actors/membership.hpp"
#include "actors/planning/batch_json.hpp"
#include "actors/protocol.hpp"
#include "actors/scheduler.hpp"
#include "actors/settings_message.hpp"

namespace weft::actors::testing {

namespace {

using storage::job_state;
using storage::phase;

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  register_weft_errors(cfg);
  return cfg;
}

[[noreturn]] void protocol_failure(const std::string& what) {
  throw std::runtime_error("actor fixture: " + what);
}

caf::behavior probe_actor(caf::event_based_actor* self,
                          std::shared_ptr<std::deque<caf::message>> inbox, answer_fn answer) {
  // Requests left unanswered stay open until the probe ends.
  auto open = std::make_shared<std::vector<caf::response_promise>>();
  self->set_default_handler(
      [self, inbox, answer, open](caf::scheduled_actor*,
                                  caf::message_view& x) -> caf::result<caf::message> {
        auto msg = x.move_content_to_message();
        inbox->push_back(msg);
        if (answer)
          if (auto a = answer(msg)) return *a;
        open->push_back(self->make_response_promise());
        return open->back();
      });
  // An error delivered to a non-request goes to the error handler, whose
  // default would end the probe: keep it like any other answer.
  self->set_error_handler([inbox](caf::error& err) { inbox->push_back(caf::make_message(err)); });
  // Never matches: a behavior must not be empty or the actor ends at once.
  using never_atom = caf::atom_constant<caf::atom("never")>;
  return {[](never_atom, never_atom) {}};
}

/// The answers the scheduler's store worker gives, from `model`.
caf::behavior fake_store_actor(caf::event_based_actor* self, std::shared_ptr<store_model> m) {
  auto answer = [m, self](const std::string& kind, auto f) -> caf::result<caf::message> {
    ++m->requests[kind];
    if (m->failing.count(kind))
      return make_weft_error(weft_error::unavailable,
                             kind + " failed (the fake store was told to)");
    if (m->holding.count(kind)) {
      caf::message reply = f();
      auto rp = self->make_response_promise();
      m->held.push_back([rp, reply]() mutable { rp.deliver(reply); });
      return rp;
    }
    return f();
  };
  auto rows = [](std::vector<storage::job_row> v) {
    return caf::make_message(
        job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>(std::move(v))});
  };
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        protocol_failure("the fake store got an unexpected message " + to_string(x.content()));
      });
  return {
      // The held answers go out from here: a response promise is delivered by its actor.
      [=](release_held_atom) {
        auto held = std::move(m->held);
        m->held.clear();
        for (auto& deliver : held) deliver();
      },
      [=](adopt_atom) {
        return answer("adopt", [&] {
          std::vector<storage::job_row> queued;
          for (const auto& [id, j] : m->jobs)
            if (j.state == job_state::queued) queued.push_back(j);
          return rows(queued);
        });
      },
      [=](load_atom) {
        return answer("load", [&] {
          std::vector<storage::job_row> unfinished;
          for (const auto& [id, j] : m->jobs)
            if (!storage::finished(j.state)) unfinished.push_back(j);
          return rows(unfinished);
        });
      },
      [=](open_batches_atom, int64_t job, phase p) {
        return answer("open_batches", [&] {
          auto open = m->open[p == phase::merge ? 0 : 1][job];
          auto total = static_cast<int32_t>(open.size());
          return caf::make_message(
              batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>(open)},
              int32_t{0}, total);
        });
      },
      [=](save_mapping_atom, int64_t job, int64_t records, batch_rows_ptr batches,
          batch_rows_ptr segments, std::string job_class) {
        return answer("save_mapping", [&] {
          auto& j = m->jobs[job];
          j.record_count = records;
          j.job_class = job_class;
          j.state = job_state::merging;
          // The merge batches add_batches stored while mapping stay (keep_added).
          auto& merge = m->open[0][job];
          merge.insert(merge.end(), batches->begin(), batches->end());
          m->open[1][job] = *segments;
          return caf::make_message(true);
        });
      },
      [=](add_batches_atom, int64_t job, batch_rows_ptr batches) -> caf::result<caf::message> {
        auto j = m->jobs.find(job);
        if (j != m->jobs.end() && storage::finished(j->second.state))
          return make_weft_error(weft_error::conflict, "the job is not mapping");
        return answer("add_batches", [&] {
          auto& merge = m->open[0][job];
          merge.insert(merge.end(), batches->begin(), batches->end());
          return caf::make_message(true);
        });
      },
      [=](save_weaving_atom, int64_t job, batch_rows_ptr segments) {
        return answer("save_weaving", [&] {
          m->jobs[job].state = job_state::weaving;
          if (!segments->empty()) m->open[1][job] = *segments;
          return caf::make_message(true);
        });
      },
      [=](save_state_atom, int64_t job, job_state state, std::string error) {
        return answer("save_state", [&] {
          auto j = m->jobs.find(job);
          if (j == m->jobs.end() || storage::finished(j->second.state))
            return caf::make_message(false);
          j->second.state = state;
          j->second.error = error;
          return caf::make_message(true);
        });
      },
      [=](status_atom, int64_t job) {
        return answer("status", [&] {
          auto j = m->jobs.find(job);
          if (j == m->jobs.end()) return caf::make_message(std::string{"{}"});
          nlohmann::json out{{"id", job},
                             {"state", storage::to_string(j->second.state)},
                             {"error", j->second.error}};
          return caf::make_message(out.dump());
        });
      },
      // Requested by the scheduler, which hands the new attempts out once confirmed.
      [=](attempt_atom, attempt_updates_ptr updates) {
        ++m->requests["attempts"];
        for (const auto& u : *updates)
          m->attempts.push_back({u.job_id, u.phase, u.batch_no, u.attempt});
        return true;
      },
      [=](register_atom, const std::string& id, const std::string&, const std::string&,
          const std::string& state) {
        ++m->requests["register"];
        m->engines[id] = state;
      },
      [=](lost_atom, const std::string& node) {
        ++m->requests["lost"];
        m->lost_nodes.push_back(node);
        for (auto& [id, state] : m->engines)
          if (id.rfind(node + "/", 0) == 0) state = "lost";
      },
  };
}

/// The batch in a (batch, …) answer.
std::optional<batch> batch_in(const caf::message& msg) {
  if (!msg.match_elements<batch_atom, int64_t, caf::atom_value, int32_t, int32_t, int64_t,
                          int64_t>())
    return std::nullopt;
  auto type = engine_type_of(msg.get_as<caf::atom_value>(2));
  if (!type) protocol_failure("a batch of an unknown engine type " + to_string(msg));
  batch b;
  b.job_id = msg.get_as<int64_t>(1);
  b.type = *type;
  b.batch_no = msg.get_as<int32_t>(3);
  b.attempt = msg.get_as<int32_t>(4);
  b.first_seq = msg.get_as<int64_t>(5);
  b.last_seq = msg.get_as<int64_t>(6);
  return b;
}

std::vector<storage::batch_row> cut(int64_t job, phase p, int64_t records, int parts) {
  std::vector<storage::batch_row> out;
  int64_t size = (records + parts - 1) / parts;
  int n = 0;
  for (int64_t first = 1; first <= records; first += size) {
    storage::batch_row r;
    r.job_id = job;
    r.phase = p;
    r.batch_no = n++;
    r.first_seq = first;
    r.last_seq = std::min(records, first + size - 1);
    out.push_back(r);
  }
  return out;
}

}  // namespace

// -- actor_fixture --------------------------------------------------------------

actor_fixture::actor_fixture()
    : sys(testing_config(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
  local_ = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    using never_atom = caf::atom_constant<caf::atom("never")>;
    return {[](never_atom, never_atom) {}};
  });
  spawned_.push_back(local_);
}

void actor_fixture::stop_all() {
  stopping_->store(true);
  for (auto& a : spawned_) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

actor_fixture::~actor_fixture() {
  stop_all();
  sched.run();
  sched.clock().cancel_all();
  sched.run();
}

void actor_fixture::run() { sched.run(); }

void actor_fixture::advance(std::chrono::milliseconds d) {
  sched.advance_time(d);
  sched.run();
}

probe actor_fixture::spawn_probe(answer_fn answer) {
  auto inbox = std::make_shared<std::deque<caf::message>>();
  probe p{sys.spawn(probe_actor, inbox, std::move(answer)), {}, inbox};
  spawned_.push_back(p.handle);
  sched.run();
  return p;
}

void actor_fixture::kill(const probe& p) {
  caf::anon_send_exit(p.handle, caf::exit_reason::kill);
  sched.run();
}

std::optional<caf::message> actor_fixture::next_message(const probe& p) {
  if (p.inbox->empty()) return std::nullopt;
  auto msg = std::move(p.inbox->front());
  p.inbox->pop_front();
  return msg;
}

// -- scheduler_fixture ------------------------------------------------------------

scheduler_fixture::scheduler_fixture() { topology({{"master", true, 2, 1}}); }

void scheduler_fixture::topology(std::vector<node_spec> nodes) {
  settings.nodes.clear();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    config::node_settings n;
    n.name = nodes[i].name;
    n.role = nodes[i].master ? config::node_role::master : config::node_role::extension;
    n.merge_engines = nodes[i].merge_engines;
    n.weaver_engines = nodes[i].weaver_engines;
    if (nodes[i].master) settings.self = i;
    settings.nodes.push_back(n);
  }
}

void scheduler_fixture::job_in_store(int64_t job, int64_t records, int merge_batches,
                                     int segments) {
  storage::job_row row;
  row.id = job;
  row.state = job_state::merging;
  row.record_count = records;
  row.options_json = "{}";
  store->jobs[job] = row;
  store->open[0][job] = cut(job, phase::merge, records, merge_batches);
  store->open[1][job] = cut(job, phase::weave, records, segments);
}

void scheduler_fixture::start_scheduler() {
  node_context ctx;
  ctx.stopping = stopping_;
  ctx.settings = &settings;
  ctx.start_mapper = [started = mappings_](int64_t job) { started->push_back(job); };
  fake_store = spawn_fake_store(sys, store);
  scheduler = spawn_scheduler(sys, ctx, fake_store);
  spawned_.push_back(scheduler);
  auto down = scheduler_down_;
  auto target = scheduler;
  spawned_.push_back(sys.spawn([down, target](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(target);
    self->set_down_handler([down](caf::down_msg&) { *down = true; });
    using never_atom = caf::atom_constant<caf::atom("never")>;
    return {[](never_atom, never_atom) {}};
  }));
  run();
}

void scheduler_fixture::map_progress(int64_t job, int64_t stored, int32_t attempt_base) {
  caf::send_as(local_, scheduler, map_progress_atom::value, job, stored, attempt_base);
  run();
}

void scheduler_fixture::mapped(int64_t job, int64_t records) {
  caf::send_as(local_, scheduler, mapped_atom::value, job, records);
  run();
}

void scheduler_fixture::map_retry(int64_t job) {
  caf::send_as(local_, scheduler, map_retry_atom::value, job, std::string{"the database is away"});
  run();
}

void scheduler_fixture::release_held() {
  caf::anon_send(fake_store, release_held_atom::value);
  run();
}

bool scheduler_fixture::scheduler_alive() {
  run();
  return !*scheduler_down_;
}

probe scheduler_fixture::engine(const std::string& node, engine_type type, int index) {
  auto p = spawn_probe();
  p.id = planning::engine_id(node, type, index);
  bool local = false;
  for (const auto& n : settings.nodes)
    if (n.name == node) local = n.role == config::node_role::master;
  caf::send_as(p.handle, scheduler, register_atom::value, p.id, engine_type_atom(type), node, local,
               p.handle);
  run();
  auto answer = next_message(p);
  if (!answer || !answer->match_elements<bool>() || !answer->get_as<bool>(0))
    protocol_failure("engine " + p.id + " was not registered");
  return p;
}

std::optional<batch> scheduler_fixture::want(const probe& engine) {
  caf::send_as(engine.handle, scheduler, want_atom::value, engine.id);
  run();
  return handed_out(engine);
}

std::optional<batch> scheduler_fixture::want(const probe& engine, const batch& done,
                                             bool accepted) {
  caf::send_as(engine.handle, scheduler, done_atom::value, engine.id, done.job_id,
               engine_type_atom(done.type), int32_t{done.batch_no}, int32_t{done.attempt},
               accepted);
  run();
  return handed_out(engine);
}

std::vector<batch> scheduler_fixture::take(const probe& engine, int slots, int holding,
                                           const std::vector<batch>& finished, bool accepted) {
  std::vector<planning::finished_batch> report;
  for (const auto& b : finished) report.push_back({b, accepted});
  caf::send_as(engine.handle, scheduler, take_atom::value, engine.id, int32_t{slots},
               int32_t{holding}, planning::finished_to_json(report));
  run();
  return granted(engine);
}

void scheduler_fixture::take_raw(const probe& engine, int slots, int holding,
                                 const std::string& finished_json) {
  caf::send_as(engine.handle, scheduler, take_atom::value, engine.id, int32_t{slots},
               int32_t{holding}, finished_json);
  run();
}

std::vector<batch> scheduler_fixture::granted(const probe& engine) {
  for (auto i = engine.inbox->begin(); i != engine.inbox->end(); ++i) {
    if (!i->match_elements<batches_atom, std::string>()) continue;
    auto out = planning::batches_from_json(i->get_as<std::string>(1));
    engine.inbox->erase(i);
    if (out.empty()) protocol_failure("an empty grant");
    return out;
  }
  return {};
}

std::optional<batch> scheduler_fixture::handed_out(const probe& engine) {
  for (auto i = engine.inbox->begin(); i != engine.inbox->end(); ++i) {
    auto b = batch_in(*i);
    if (!b) continue;
    engine.inbox->erase(i);
    return b;
  }
  return std::nullopt;
}

bool scheduler_fixture::told_to_ask_again(const probe& engine) {
  for (auto i = engine.inbox->begin(); i != engine.inbox->end(); ++i) {
    if (!i->match_elements<caf::error>() ||
        weft_error_of(i->get_as<caf::error>(0)) != weft_error::no_work)
      continue;
    engine.inbox->erase(i);
    return true;
  }
  return false;
}

bool scheduler_fixture::refused(const probe& engine) {
  for (auto i = engine.inbox->begin(); i != engine.inbox->end(); ++i) {
    if (!i->match_elements<caf::error>() ||
        weft_error_of(i->get_as<caf::error>(0)) == weft_error::no_work)
      continue;
    engine.inbox->erase(i);
    return true;
  }
  return false;
}

void scheduler_fixture::report_failed(const probe& engine, int64_t job, const std::string& reason) {
  caf::send_as(engine.handle, scheduler, fail_atom::value, job, reason);
  run();
}

std::vector<batch> scheduler_fixture::work_off(const probe& engine, std::optional<batch> b) {
  std::vector<batch> done;
  while (b) {
    done.push_back(*b);
    b = want(engine, *b, true);
  }
  return done;
}

void scheduler_fixture::node_lost(const std::string& node) {
  caf::send_as(local_, scheduler, lost_atom::value, node);
  run();
}

bool scheduler_fixture::drain(const std::string& node, bool on) {
  auto client = spawn_probe();
  caf::send_as(client.handle, scheduler, drain_atom::value, node, on);
  run();
  auto answer = next_message(client);
  return answer && answer->match_elements<bool>() && answer->get_as<bool>(0);
}

probe scheduler_fixture::wait_for(int64_t job, std::chrono::milliseconds max) {
  auto client = spawn_probe();
  caf::send_as(client.handle, scheduler, wait_atom::value, job, static_cast<int32_t>(max.count()));
  run();
  return client;
}

probe scheduler_fixture::cancel(int64_t job) {
  auto client = spawn_probe();
  caf::send_as(client.handle, scheduler, cancel_atom::value, job);
  run();
  return client;
}

std::optional<std::string> actor_fixture::text_reply(const probe& client) {
  auto answer = next_message(client);
  if (!answer) return std::nullopt;
  if (answer->match_elements<std::string>()) return answer->get_as<std::string>(0);
  if (answer->match_elements<caf::error>())
    return "error: " + error_text(sys, answer->get_as<caf::error>(0));
  protocol_failure("unexpected answer " + to_string(*answer));
}

std::string scheduler_fixture::inspect(const std::string& what) {
  auto client = spawn_probe();
  caf::send_as(client.handle, scheduler, inspect_atom::value, what);
  run();
  auto answer = reply(client);
  if (!answer) protocol_failure("no answer to inspect " + what);
  return *answer;
}

void scheduler_fixture::apply(const config::settings& s) {
  caf::send_as(local_, scheduler, apply_atom::value,
               settings_ptr{std::make_shared<const config::settings>(s)});
  run();
}

// -- membership_fixture -----------------------------------------------------------

namespace {

config::settings cluster_settings(std::vector<std::string> extensions) {
  config::settings s;
  config::node_settings master;
  master.name = "master";
  master.role = config::node_role::master;
  s.nodes.push_back(master);
  for (const auto& name : extensions) {
    config::node_settings n;
    n.name = name;
    n.role = config::node_role::extension;
    s.nodes.push_back(n);
  }
  s.self = 0;
  s.cluster.heartbeat = std::chrono::milliseconds(250);
  s.cluster.node_timeout = std::chrono::milliseconds(1000);
  s.cluster.request_timeout = std::chrono::milliseconds(5000);
  return s;
}

std::unique_ptr<storage::database> memory_database() {
  storage::database_spec spec;
  spec.kind = storage::backend_kind::sqlite;
  spec.sqlite_path = ":memory:";
  return storage::database::open(spec, std::chrono::seconds(5));
}

}  // namespace

membership_fixture::membership_fixture()
    : settings(cluster_settings({"ext1", "ext2"})), db(memory_database()) {
  scheduler = spawn_probe();
  node_context ctx;
  ctx.stopping = stopping_;
  ctx.settings = &settings;
  ctx.db = db.get();
  ctx.detach_blocking = false;
  membership = spawn_membership(sys, ctx, scheduler.handle);
  spawned_.push_back(membership);
  run();
}

membership_fixture::~membership_fixture() {
  stop_all();
  sched.run();
}

probe membership_fixture::join(const std::string& node, std::string* answer) {
  auto agent = spawn_probe();
  join_as(agent, node, answer);
  return agent;
}

uint64_t membership_fixture::join_as(const probe& agent, const std::string& node,
                                     std::string* answer) {
  caf::send_as(agent.handle, membership, join_atom::value, node, agent.handle,
               std::string{"127.0.0.1:4242"});
  run();
  // The answer; a "left" for an earlier join (sent first) stays in the inbox.
  std::optional<caf::message> reply;
  for (auto i = agent.inbox->begin(); i != agent.inbox->end(); ++i)
    if (!i->match_elements<left_atom, uint64_t>()) {
      reply = *i;
      agent.inbox->erase(i);
      break;
    }
  uint64_t serial = reply && reply->match_elements<uint64_t>() ? reply->get_as<uint64_t>(0) : 0;
  std::string text = !reply   ? "(no answer)"
                     : serial ? std::to_string(serial)
                     : reply->match_elements<caf::error>()
                         ? error_text(sys, reply->get_as<caf::error>(0))
                         : to_string(*reply);
  if (answer)
    *answer = text;
  else if (!serial)
    protocol_failure("node " + node + " could not join: " + text);
  if (serial) serials_[node] = serial;
  return serial;
}

void membership_fixture::heartbeat(const probe& agent, const std::string& node) {
  heartbeat(agent, node, serials_.count(node) ? serials_.at(node) : 0);
}

void membership_fixture::heartbeat(const probe& agent, const std::string& node, uint64_t serial) {
  caf::send_as(agent.handle, membership, heartbeat_atom::value, node, serial);
  run();
}

std::vector<std::string> membership_fixture::lost() {
  std::vector<std::string> out;
  while (auto msg = next_message(scheduler))
    if (msg->match_elements<lost_atom, std::string>()) out.push_back(msg->get_as<std::string>(1));
  return out;
}

bool membership_fixture::told_to_rejoin(const probe& agent, uint64_t serial) {
  for (auto i = agent.inbox->begin(); i != agent.inbox->end(); ++i)
    if (i->match_elements<left_atom, uint64_t>() &&
        (serial == 0 || i->get_as<uint64_t>(1) == serial)) {
      agent.inbox->erase(i);
      return true;
    }
  return false;
}

// -- inspector_fixture ------------------------------------------------------------

inspector_fixture::inspector_fixture()
    : settings(cluster_settings({"ext1"})), db(memory_database()) {
  node_context ctx;
  ctx.stopping = stopping_;
  ctx.settings = &settings;
  ctx.db = db.get();
  ctx.detach_blocking = false;
  inspector = spawn_inspector(sys, ctx);
  spawned_.push_back(inspector);
  run();
}

inspector_fixture::~inspector_fixture() {
  stop_all();
  sched.run();
}

void inspector_fixture::register_as(const std::string& role, const probe& a) {
  register_actor(inspector, role, role, a.handle);
  run();
}

probe inspector_fixture::command(const std::string& command, const std::string& args_json) {
  auto client = spawn_probe();
  caf::send_as(client.handle, inspector, inspect_atom::value, command, args_json);
  run();
  return client;
}

answer_fn answers_inspect(const std::string& what, const std::string& json) {
  return [=](const caf::message& m) -> std::optional<caf::message> {
    // (inspect, what) from the inspector, (inspect, what, args) forwarded to a node
    if (m.size() >= 2 && m.match_element<inspect_atom>(0) && m.match_element<std::string>(1) &&
        m.get_as<std::string>(1) == what)
      return caf::make_message(json);
    return std::nullopt;
  };
}

answer_fn answers_agent_of(const std::string& node, const caf::actor& agent) {
  return [=](const caf::message& m) -> std::optional<caf::message> {
    if (m.match_elements<inspect_atom, std::string>() && m.get_as<std::string>(1) == node)
      return caf::make_message(agent);
    return std::nullopt;
  };
}

caf::actor spawn_fake_store(caf::actor_system& sys, std::shared_ptr<store_model> model) {
  return sys.spawn(fake_store_actor, std::move(model));
}

}  // namespace weft::actors::testing
