// The pre-issue-15 scheduling policy, kept as a test oracle (reference_policy.hpp).
#include "reference_policy.hpp"

#include <algorithm>
#include <set>

namespace weft::planning::reference {

namespace {
int idx(engine_type t) { return static_cast<int>(t); }
}  // namespace

reference_policy::reference_policy(scheduling_limits limits) : limits_(limits) {}

void reference_policy::set_limits(const scheduling_limits& limits) {
  limits_ = limits;
  rebalance_standby(engine_type::merge);
  rebalance_standby(engine_type::weaver);
}

// -- engines ------------------------------------------------------------------

void reference_policy::add_engine(const std::string& id, engine_type type, const std::string& node,
                                  bool local) {
  engine_info e;
  e.id = id;
  e.type = type;
  e.node = node;
  e.local = local;
  engines_[id] = e;
  if (!local) registration_[id] = next_registration_++;
  rebalance_standby(type);
}

// The batches an engine held go back to the front of their jobs' queues, in
// their order, with the next attempt: the old attempts' results will be refused.
std::vector<batch> reference_policy::release(engine_info& e) {
  std::vector<batch> out;
  auto held = std::move(e.held);
  e.held.clear();
  std::set<std::pair<int64_t, int>> engines_counted;
  for (auto i = held.rbegin(); i != held.rend(); ++i) {
    auto b = *i;
    auto j = jobs_.find(b.job_id);
    if (j == jobs_.end()) continue;
    if (engines_counted.insert({b.job_id, idx(b.type)}).second) --j->second.running[idx(b.type)];
    --j->second.held[idx(b.type)];
    ++b.attempt;
    j->second.queue[idx(b.type)].push_front(b);
    out.push_back(b);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool reference_policy::holds(const engine_info& e, int64_t job, engine_type type) {
  for (const auto& b : e.held)
    if (b.job_id == job && b.type == type) return true;
  return false;
}

batch reference_policy::grant(engine_info& e, int64_t job_id, job_entry& j, engine_type type) {
  auto b = j.queue[idx(type)].front();
  j.queue[idx(type)].pop_front();
  if (!holds(e, job_id, type)) ++j.running[idx(type)];
  ++j.held[idx(type)];
  e.held.push_back(b);
  return b;
}

const std::vector<batch>& reference_policy::held(const std::string& engine_id) const {
  static const std::vector<batch> none;
  auto e = engines_.find(engine_id);
  return e == engines_.end() ? none : e->second.held;
}

std::vector<batch> reference_policy::remove_node(const std::string& node) {
  std::vector<batch> requeued;
  for (auto i = engines_.begin(); i != engines_.end();) {
    if (i->second.node != node) {
      ++i;
      continue;
    }
    auto back = release(i->second);
    requeued.insert(requeued.end(), back.begin(), back.end());
    registration_.erase(i->first);
    i = engines_.erase(i);
  }
  // A draining node stays draining when it comes back (maintenance goes on).
  rebalance_standby(engine_type::merge);
  rebalance_standby(engine_type::weaver);
  return requeued;
}

std::vector<batch> reference_policy::remove_engine(const std::string& id) {
  auto e = engines_.find(id);
  if (e == engines_.end()) return {};
  auto b = release(e->second);
  auto type = e->second.type;
  registration_.erase(id);
  engines_.erase(e);
  rebalance_standby(type);
  return b;
}

void reference_policy::set_draining(const std::string& node, bool draining) {
  if (draining)
    draining_.insert(node);
  else
    draining_.erase(node);
}

// Remote engines are active in registration order up to the expected total;
// the rest stand by and are promoted when an active one goes away. A standby
// engine that is still finishing a batch keeps it.
void reference_policy::rebalance_standby(engine_type type) {
  std::vector<std::pair<uint64_t, engine_info*>> remote;
  for (auto& [id, e] : engines_)
    if (e.type == type && !e.local) remote.emplace_back(registration_[id], &e);
  std::sort(remote.begin(), remote.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  int expected = limits_.of(type).expected_remote;
  for (std::size_t i = 0; i < remote.size(); ++i)
    remote[i].second->standby = static_cast<int>(i) >= expected;
}

capacity_report reference_policy::capacity(engine_type type) const {
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

int reference_policy::active_engines(engine_type type) const {
  int n = 0;
  for (const auto& [id, e] : engines_)
    if (e.type == type && !e.standby && !draining_.count(e.node)) ++n;
  return n;
}

// -- jobs ---------------------------------------------------------------------

void reference_policy::add_job(int64_t job_id, int64_t records) {
  auto& j = jobs_[job_id];
  j.records = records;
  j.order = next_order_++;
}

void reference_policy::add_batches(const std::vector<batch>& batches) {
  for (const auto& b : batches) {
    auto j = jobs_.find(b.job_id);
    if (j != jobs_.end()) j->second.queue[idx(b.type)].push_back(b);
  }
}

void reference_policy::remove_job(int64_t job_id) {
  jobs_.erase(job_id);
  for (auto& [id, e] : engines_)
    e.held.erase(std::remove_if(e.held.begin(), e.held.end(),
                                [&](const batch& b) { return b.job_id == job_id; }),
                 e.held.end());
}

job_class reference_policy::classify(int64_t records) const {
  if (records <= limits_.max_records_small) return job_class::small;
  if (records >= limits_.min_records_large) return job_class::large;
  return job_class::medium;
}

job_class reference_policy::class_of(int64_t job_id) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? job_class::small : classify(j->second.records);
}

// min(parallel_per_job[class], ceil(records / additional_engine_every)),
// never more than the engines that exist and never less than one.
int reference_policy::allowed(const job_entry& job, engine_type type) const {
  const auto& l = limits_.of(type);
  auto cls = classify(job.records);
  int64_t n = 1;
  if (cls == job_class::medium) n = l.parallel_medium;
  if (cls == job_class::large) n = l.parallel_large;
  if (l.additional_engine_every > 0) {
    int64_t by_size = (job.records + l.additional_engine_every - 1) / l.additional_engine_every;
    n = std::min(n, std::max<int64_t>(1, by_size));
  }
  n = std::min<int64_t>(n, std::max(1, active_engines(type)));
  return static_cast<int>(std::max<int64_t>(1, n));
}

int reference_policy::engines_allowed(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : allowed(j->second, type);
}

int reference_policy::engines_granted(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : static_cast<int>(j->second.running[idx(type)]);
}

std::size_t reference_policy::queued(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : j->second.queue[idx(type)].size();
}

std::size_t reference_policy::running(int64_t job_id, engine_type type) const {
  auto j = jobs_.find(job_id);
  return j == jobs_.end() ? 0 : j->second.held[idx(type)];
}

// Engines reserved for a class serve that class only; the rest float. A job
// of class `cls` may take one more engine if its class is below its
// reservation, or if a floating engine is free.
bool reference_policy::reservation_allows(engine_type type, job_class cls) const {
  const auto& l = limits_.of(type);
  int busy[3] = {0, 0, 0};
  for (const auto& [id, j] : jobs_)
    busy[static_cast<int>(classify(j.records))] += static_cast<int>(j.running[idx(type)]);
  int c = static_cast<int>(cls);
  if (busy[c] < l.reserved[c]) return true;
  int reserved_total = l.reserved[0] + l.reserved[1] + l.reserved[2];
  int floating = std::max(0, active_engines(type) - reserved_total);
  int floating_used = 0;
  for (int k = 0; k < 3; ++k) floating_used += std::max(0, busy[k] - l.reserved[k]);
  return floating_used < floating;
}

// -- dispatch -----------------------------------------------------------------

std::optional<batch> reference_policy::next_for(const std::string& engine_id) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end() || e->second.standby || draining_.count(e->second.node))
    return std::nullopt;
  if (!e->second.held.empty()) return e->second.held.front();  // still running: again
  return another_for(engine_id);
}

std::optional<batch> reference_policy::another_for(const std::string& engine_id) {
  auto e = engines_.find(engine_id);
  if (e == engines_.end() || e->second.standby || draining_.count(e->second.node))
    return std::nullopt;
  auto type = e->second.type;
  // Jobs in submission order: the oldest job with queued work and room for
  // one more engine of this type gets the engine.
  std::vector<std::pair<uint64_t, int64_t>> order;
  for (const auto& [id, j] : jobs_)
    if (!j.queue[idx(type)].empty()) order.emplace_back(j.order, id);
  std::sort(order.begin(), order.end());
  for (const auto& [ord, id] : order) {
    auto& j = jobs_[id];
    // An engine that already holds one of the job's batches counts once: a prefetched
    // batch of the same job takes no further engine from its limit.
    if (!holds(e->second, id, type)) {
      if (static_cast<int>(j.running[idx(type)]) >= allowed(j, type)) continue;
      if (!reservation_allows(type, classify(j.records))) continue;
    }
    return grant(e->second, id, j, type);
  }
  return std::nullopt;
}

bool reference_policy::complete(const std::string& engine_id, const batch& b) {
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
    if (!holds(e->second, b.job_id, b.type)) --j->second.running[idx(b.type)];
  }
  return true;
}

std::map<std::string, std::vector<batch>> reference_dispatch(
    reference_policy& p, const std::map<std::string, reference_waiter>& waiting) {
  std::map<std::string, std::vector<batch>> given;
  for (std::size_t round = 0;; ++round) {
    bool any = false;
    for (const auto& [id, w] : waiting) {
      auto& g = given[id];
      if (g.size() != round || static_cast<int>(round) >= w.slots) continue;
      auto b = w.multi ? p.another_for(id) : p.next_for(id);
      if (!b) continue;
      g.push_back(*b);
      any = true;
    }
    if (!any) break;
  }
  for (auto i = given.begin(); i != given.end();)
    i = i->second.empty() ? given.erase(i) : std::next(i);
  return given;
}

}  // namespace weft::planning::reference
