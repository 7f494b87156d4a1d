#include "actors/planning/scheduling_policy.hpp"

#include <algorithm>
#include <set>

namespace weft::planning {

const char* to_string(engine_type t) { return t == engine_type::merge ? "merge" : "weaver"; }

const char* to_string(job_class c) {
  switch (c) {
    case job_class::small:
      return "small";
    case job_class::medium:
      return "medium";
    case job_class::large:
      return "large";
  }
  return "?";
}

namespace {
int idx(engine_type t) { return static_cast<int>(t); }
}  // namespace

scheduling_policy::scheduling_policy(scheduling_limits limits) : limits_(limits) {}

void scheduling_policy::set_limits(const scheduling_limits& limits) {
  limits_ = limits;
  rebalance_standby(engine_type::merge);
  rebalance_standby(engine_type::weaver);
  refresh_all();
}

// -- engines ------------------------------------------------------------------

void scheduling_policy::add_engine(const std::string& id, engine_type type, const std::string& node,
                                   bool local) {
  bool known = engines_.count(id) > 0;
  engine_info e;
  e.id = id;
  e.type = type;
  e.node = node;
  e.local = local;
  engines_[id] = e;
  if (!local) registration_[id] = next_registration_++;
  if (known) {  // replaced in place (maybe by another type): count everything again
    rebalance_standby(type);
    for (auto& n : remote_count_) n = 0;
    for (const auto& [other, o] : engines_)
      if (!o.local) ++remote_count_[idx(o.type)];
    refresh_all();
    return;
  }
  // A new engine registers last: the others' standby flags stay as they are, and it is
  // active if fewer remote engines than expected came before it (rebalance_standby's
  // rule), without a walk over every engine (issue 15: registering a cluster of n
  // engines cost O(n² log n)).
  auto t = idx(type);
  auto& added = engines_[id];
  if (!local) added.standby = remote_count_[t]++ >= limits_.of(type).expected_remote;
  if (added.standby || draining_.count(node)) return;
  ++active_[t];
  for (auto& [job_id, j] : jobs_) refresh(job_id, j, type);
}

// The batches an engine held go back to the front of their jobs' queues, in
// their order, with the next attempt: the old attempts' results will be refused.
std::vector<batch> scheduling_policy::release(engine_info& e) {
  std::vector<batch> out;
  auto held = std::move(e.held);
  e.held.clear();
  std::set<std::pair<int64_t, int>> engines_counted;
  for (auto i = held.rbegin(); i != held.rend(); ++i) {
    auto b = *i;
    auto j = jobs_.find(b.job_id);
    if (j == jobs_.end()) continue;
    if (engines_counted.insert({b.job_id, idx(b.type)}).second) {
      --j->second.running[idx(b.type)];
      count_busy(j->second, b.type, -1);
    }
    --j->second.held[idx(b.type)];
    ++b.attempt;
    j->second.queue[idx(b.type)].push_front(b);
    refresh(b.job_id, j->second, b.type);
    out.push_back(b);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool scheduling_policy::holds(const engine_info& e, int64_t job, engine_type type) {
  for (const auto& b : e.held)
    if (b.job_id == job && b.type == type) return true;
  return false;
}

batch scheduling_policy::grant(engine_info& e, int64_t job_id, job_entry& j, engine_type type) {
  auto b = j.queue[idx(type)].front();
  j.queue[idx(type)].pop_front();
  if (!holds(e, job_id, type)) {
    ++j.running[idx(type)];
    count_busy(j, type, +1);
  }
  ++j.held[idx(type)];
  e.held.push_back(b);
  refresh(job_id, j, type);
  if (waiting_.count(e.id)) waiting_holding_[idx(e.type)].insert(e.id);
  return b;
}

const std::vector<batch>& scheduling_policy::held(const std::string& engine_id) const {
  static const std::vector<batch> none;
  auto e = engines_.find(engine_id);
  return e == engines_.end() ? none : e->second.held;
}

std::vector<batch> scheduling_policy::remove_node(const std::string& node) {
  std::vector<batch> requeued;
  for (auto i = engines_.begin(); i != engines_.end();) {
    if (i->second.node != node) {
      ++i;
      continue;
    }
    auto back = release(i->second);
    requeued.insert(requeued.end(), back.begin(), back.end());
    unwait(i->first);
    registration_.erase(i->first);
    i = engines_.erase(i);
  }
  // A draining node stays draining when it comes back (maintenance goes on).
  rebalance_standby(engine_type::merge);
  rebalance_standby(engine_type::weaver);
  refresh_all();
  return requeued;
}

std::vector<batch> scheduling_policy::remove_engine(const std::string& id) {
  auto e = engines_.find(id);
  if (e == engines_.end()) return {};
  auto b = release(e->second);
  auto type = e->second.type;
  unwait(id);
  registration_.erase(id);
  engines_.erase(e);
  rebalance_standby(type);
  refresh_all();
  return b;
}

void scheduling_policy::set_draining(const std::string& node, bool draining) {
  if (draining)
    draining_.insert(node);
  else
    draining_.erase(node);
  refresh_all();
}

// Remote engines are active in registration order up to the expected total;
// the rest stand by and are promoted when an active one goes away. A standby
// engine that is still finishing a batch keeps it.
void scheduling_policy::rebalance_standby(engine_type type) {
  std::vector<std::pair<uint64_t, engine_info*>> remote;
  for (auto& [id, e] : engines_)
    if (e.type == type && !e.local) remote.emplace_back(registration_[id], &e);
  std::sort(remote.begin(), remote.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  remote_count_[idx(type)] = static_cast<int>(remote.size());
  int expected = limits_.of(type).expected_remote;
  for (std::size_t i = 0; i < remote.size(); ++i)
    remote[i].second->standby = static_cast<int>(i) >= expected;
}

capacity_report scheduling_policy::capacity(engine_type type) const {
  capacity_report r;
  r.expected_remote = limits_.of(type).expected_remote;
  for (const auto& [id, e] : engines_) {
    if (e.type != type) continue;
    if (e.local)
      ++r.local;
    else
      ++r.registered_remote;
    if (e.standby)
      ++r.standby;
    else
      ++r.active;
  }
  return r;
}

int scheduling_policy::active_engines(engine_type type) const {
  int n = 0;
  for (const auto& [id, e] : engines_)
    if (e.type == type && !e.standby && !draining_.count(e.node)) ++n;
  return n;
}

// -- jobs ---------------------------------------------------------------------

void scheduling_policy::add_job(int64_t job_id, int64_t records, bool keep_order) {
  const bool fresh = jobs_.count(job_id) == 0;
  auto& j = jobs_[job_id];
  // Added again: its class and its place in the order change.
  for (auto type : {engine_type::merge, engine_type::weaver}) {
    auto t = idx(type);
    if (j.ready_class[t] >= 0) ready_[t][j.ready_class[t]].erase({j.order, job_id});
    j.ready_class[t] = -1;
    count_busy(j, type, -static_cast<int>(j.running[t]));
  }
  j.records = records;
  if (fresh || !keep_order) j.order = next_order_++;
  for (auto type : {engine_type::merge, engine_type::weaver}) {
    count_busy(j, type, static_cast<int>(j.running[idx(type)]));
    refresh(job_id, j, type);
  }
}

void scheduling_policy::add_batches(const std::vector<batch>& batches) {
  for (const auto& b : batches) {
    auto j = jobs_.find(b.job_id);
    if (j == jobs_.end()) continue;
    j->second.queue[idx(b.type)].push_back(b);
    refresh(b.job_id, j->second, b.type);
  }
}

void scheduling_policy::remove_job(int64_t job_id) {
  auto j = jobs_.find(job_id);
  if (j != jobs_.end()) {
    for (auto type : {engine_type::merge, engine_type::weaver}) {
      auto t = idx(type);
      if (j->second.ready_class[t] >= 0)
        ready_[t][j->second.ready_class[t]].erase({j->second.order, job_id});
      count_busy(j->second, type, -static_cast<int>(j->second.running[t]));
    }
    jobs_.erase(j);
  }
  for (auto& [id, e] : engines_)
    e.held.erase(std::remove_if(e.held.begin(), e.held.end(),
                                [&](const batch& b) { return b.job_id == job_id; }),
                 e.held.end());
}

job_class scheduling_policy::classify(int64_t records) const {
  if (records <= limits_.max_records_small) return job_class::small;
  if (records >= limits_.min_records_large) return job_class::large;
  return job_class::medium;
}

job_class scheduling_policy::class_of(int64_t job_id) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? job_class::small : classify(j->second.records);
}

// min(parallel_per_job[class], ceil(records / additional_engine_every)),
// never more than the engines that exist and never less than one.
int scheduling_policy::allowed(const job_entry& job, engine_type type) const {
  const auto& l = limits_.of(type);
  auto cls = classify(job.records);
  int64_t n = 1;
  if (cls == job_class::medium) n = l.parallel_medium;
  if (cls == job_class::large) n = l.parallel_large;
  if (l.additional_engine_every > 0) {
    int64_t by_size = (job.records + l.additional_engine_every - 1) / l.additional_engine_every;
    n = std::min(n, std::max<int64_t>(1, by_size));
  }
  n = std::min<int64_t>(n, std::max(1, active_[idx(type)]));
  return static_cast<int>(std::max<int64_t>(1, n));
}

int scheduling_policy::engines_allowed(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : allowed(j->second, type);
}

int scheduling_policy::engines_granted(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : static_cast<int>(j->second.running[idx(type)]);
}

std::size_t scheduling_policy::queued(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : j->second.queue[idx(type)].size();
}

std::size_t scheduling_policy::running(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : j->second.held[idx(type)];
}

// Engines reserved for a class serve that class only; the rest float. A job
// of class `cls` may take one more engine if its class is below its
// reservation, or if a floating engine is free.
bool scheduling_policy::reservation_allows(engine_type type, job_class cls) const {
  const auto& l = limits_.of(type);
  const int* busy = busy_[idx(type)];
  int c = static_cast<int>(cls);
  if (busy[c] < l.reserved[c]) return true;
  int reserved_total = l.reserved[0] + l.reserved[1] + l.reserved[2];
  int floating = std::max(0, active_[idx(type)] - reserved_total);
  int floating_used = 0;
  for (int k = 0; k < 3; ++k) floating_used += std::max(0, busy[k] - l.reserved[k]);
  return floating_used < floating;
}

// -- dispatch -----------------------------------------------------------------

std::optional<batch> scheduling_policy::next_for(const std::string& engine_id) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end() || e->second.standby || draining_.count(e->second.node))
    return std::nullopt;
  if (!e->second.held.empty()) return e->second.held.front();  // still running: again
  return another_for(engine_id);
}

std::optional<batch> scheduling_policy::another_for(const std::string& engine_id) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end() || e->second.standby || draining_.count(e->second.node))
    return std::nullopt;
  auto type = e->second.type;
  auto t = idx(type);
  // Jobs in submission order: the oldest job with queued work and room for one more
  // engine of this type (the first of its class's ready set, if the reservations let the
  // class take one more engine) gets the engine. An engine that already holds one of a
  // job's batches counts once: a prefetched batch of the same job takes no further
  // engine from its limit, so the jobs it holds are candidates too.
  std::optional<job_key> best;
  for (int c = 0; c < 3; ++c) {
    if (ready_[t][c].empty() || !reservation_allows(type, static_cast<job_class>(c))) continue;
    if (!best || *ready_[t][c].begin() < *best) best = *ready_[t][c].begin();
  }
  for (const auto& h : e->second.held) {
    auto j = jobs_.find(h.job_id);
    if (h.type != type || j == jobs_.end() || j->second.queue[t].empty()) continue;
    job_key k{j->second.order, h.job_id};
    if (!best || k < *best) best = k;
  }
  if (!best) return std::nullopt;
  return grant(e->second, best->second, jobs_.at(best->second), type);
}

bool scheduling_policy::complete(const std::string& engine_id, const batch& b) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end()) return false;
  auto& held = e->second.held;
  auto at = std::find_if(held.begin(), held.end(), [&](const batch& h) {
    return h.job_id == b.job_id && h.type == b.type && h.batch_no == b.batch_no &&
           h.attempt == b.attempt;
  });
  if (at == held.end()) return false;
  held.erase(at);
  ++e->second.batches_done;
  auto j = jobs_.find(b.job_id);
  if (j != jobs_.end()) {
    --j->second.held[idx(b.type)];
    if (!holds(e->second, b.job_id, b.type)) {
      --j->second.running[idx(b.type)];
      count_busy(j->second, b.type, -1);
    }
    refresh(b.job_id, j->second, b.type);
  }
  return true;
}

// -- incremental state -----------------------------------------------------------

void scheduling_policy::count_busy(const job_entry& j, engine_type type, int delta) {
  busy_[idx(type)][static_cast<int>(classify(j.records))] += delta;
}

void scheduling_policy::refresh(int64_t job_id, job_entry& j, engine_type type) {
  auto t = idx(type);
  if (j.ready_class[t] >= 0) ready_[t][j.ready_class[t]].erase({j.order, job_id});
  j.ready_class[t] = -1;
  if (j.queue[t].empty() || static_cast<int>(j.running[t]) >= allowed(j, type)) return;
  auto c = static_cast<int>(classify(j.records));
  ready_[t][c].insert({j.order, job_id});
  j.ready_class[t] = c;
}

void scheduling_policy::refresh_all() {
  for (auto type : {engine_type::merge, engine_type::weaver}) {
    auto t = idx(type);
    active_[t] = active_engines(type);
    for (auto& b : busy_[t]) b = 0;
  }
  for (auto& [id, j] : jobs_) {
    for (auto type : {engine_type::merge, engine_type::weaver}) {
      count_busy(j, type, static_cast<int>(j.running[idx(type)]));
      refresh(id, j, type);
    }
  }
}

bool scheduling_policy::fresh_work(engine_type type) const {
  auto t = idx(type);
  for (int c = 0; c < 3; ++c)
    if (!ready_[t][c].empty() && reservation_allows(type, static_cast<job_class>(c))) return true;
  return false;
}

// -- waiting engines -----------------------------------------------------------------

void scheduling_policy::wait(const std::string& engine_id, int slots, bool multi) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end()) return;
  unwait(engine_id);
  waiting_[engine_id] = waiter{slots, multi};
  auto t = idx(e->second.type);
  waiting_ids_[t].insert(engine_id);
  if (!e->second.held.empty()) waiting_holding_[t].insert(engine_id);
}

void scheduling_policy::unwait(const std::string& engine_id) {
  if (!waiting_.erase(engine_id)) return;
  for (int t = 0; t < 2; ++t) {
    waiting_ids_[t].erase(engine_id);
    waiting_holding_[t].erase(engine_id);
  }
}

std::map<std::string, std::vector<batch>> scheduling_policy::dispatch() {
  std::map<std::string, std::vector<batch>> given;
  looked_at_ = 0;
  // The two types share nothing a decision reads (queues, engines per job, reservations
  // and active engines are all per type), so each is dispatched alone.
  dispatch_type(engine_type::merge, given);
  dispatch_type(engine_type::weaver, given);
  for (const auto& [id, g] : given) unwait(id);
  return given;
}

// Round 0 looks at the waiting engines in id order, but only while an engine that holds
// nothing could get a batch (fresh_work); past that point only the waiting engines that
// hold batches can get one (of a job they hold), so it jumps from one of those to the
// next. Nothing a grant does makes fresh work appear (queues shrink, engines per job and
// busy counts grow), so an engine skipped would have got nothing. Round r > 0 looks only
// at the engines that got a batch in every earlier round, as the full scan did.
void scheduling_policy::dispatch_type(engine_type type,
                                      std::map<std::string, std::vector<batch>>& given) {
  auto t = idx(type);
  const auto& ids = waiting_ids_[t];
  const auto& holding = waiting_holding_[t];
  auto ask = [&](const std::string& id) -> bool {
    const auto& w = waiting_.at(id);
    ++looked_at_;
    auto b = w.multi ? another_for(id) : next_for(id);
    if (!b) return false;
    given[id].push_back(*b);
    return true;
  };
  std::vector<std::string> got;
  for (auto it = ids.begin(); it != ids.end(); ++it) {
    if (!fresh_work(type)) {
      auto h = holding.lower_bound(*it);
      if (h == holding.end()) break;
      it = ids.find(*h);
    }
    if (waiting_.at(*it).slots > 0 && ask(*it)) got.push_back(*it);
  }
  for (int round = 1; !got.empty(); ++round) {
    std::vector<std::string> next;
    for (const auto& id : got)
      if (round < waiting_.at(id).slots && ask(id)) next.push_back(id);
    got = std::move(next);
  }
}

}  // namespace weft::planning
