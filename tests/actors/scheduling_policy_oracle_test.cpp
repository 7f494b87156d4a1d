// The incremental scheduling policy (issue 15: a decision in O(log n)) decides exactly
// what the full-scan policy it replaced decided. The old policy and the scheduler actor's
// old dispatch loop are kept as the oracle (reference_policy.*); both are driven through
// the same seeded random sequences of events — engines registering, leaving, nodes lost,
// draining, limits changed, jobs added, batches queued, engines waiting (want and take
// with several slots), completions (current and stale), jobs removed — and every answer
// and every observable count is compared after every step.
#define BOOST_TEST_MODULE scheduling_policy_oracle
#include <boost/test/unit_test.hpp>
#include <map>
#include <random>
#include <sstream>

#include "actors/planning/scheduling_policy.hpp"
#include "reference_policy.hpp"

using namespace weft::planning;
using reference::reference_dispatch;
using reference::reference_policy;
using reference::reference_waiter;

namespace {

std::string text(const batch& b) {
  std::ostringstream o;
  o << "{job " << b.job_id << " " << to_string(b.type) << " #" << b.batch_no << " a" << b.attempt
    << " " << b.first_seq << "-" << b.last_seq << "}";
  return o.str();
}

std::string text(const std::vector<batch>& bs) {
  std::string s = "[";
  for (const auto& b : bs) s += text(b);
  return s + "]";
}

std::string text(const std::optional<batch>& b) { return b ? text(*b) : "none"; }

std::string text(const std::map<std::string, std::vector<batch>>& given) {
  std::string s;
  for (const auto& [id, bs] : given) s += id + "=" + text(bs) + " ";
  return s;
}

const std::vector<std::string> nodes = {"master", "n1", "n2", "n3"};

/// Drives both policies with one random generator and checks they agree.
class twin {
 public:
  explicit twin(uint32_t seed) : rng_(seed) {}

  void step() {
    int op = pick(0, 99);
    if (op < 8)
      add_engine();
    else if (op < 10)
      remove_engine();
    else if (op < 11)
      remove_node();
    else if (op < 13)
      set_draining();
    else if (op < 15)
      set_limits();
    else if (op < 21)
      add_job();
    else if (op < 33)
      add_batches();
    else if (op < 36)
      remove_job();
    else if (op < 56)
      wait();
    else if (op < 60)
      unwait();
    else if (op < 76)
      complete();
    else if (op < 94)
      dispatch();
    else
      direct();
    compare();
  }

  std::size_t granted = 0;       ///< batches handed out by dispatch() (the test must do work)
  std::size_t multi_rounds = 0;  ///< dispatches that gave an engine more than one batch
  std::size_t refused = 0;       ///< stale completions refused

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <class C>
  const auto& any_of(const C& c) {
    auto i = c.begin();
    std::advance(i, pick(0, static_cast<int>(c.size()) - 1));
    return *i;
  }
  std::string describe() const { return "step " + std::to_string(steps_); }

  void add_engine() {
    const auto& node = any_of(nodes);
    auto type = pick(0, 3) == 0 ? engine_type::weaver : engine_type::merge;
    // Sometimes an engine registers again: the scheduler forgets the old one first.
    auto id = engine_id(node, type, pick(0, 5));
    if (ids_.count(id)) {
      remove(id);
    }
    bool local = node == "master";
    new_.add_engine(id, type, node, local);
    old_.add_engine(id, type, node, local);
    ids_.insert(id);
  }

  void remove(const std::string& id) {
    auto a = new_.remove_engine(id);
    auto b = old_.remove_engine(id);
    BOOST_REQUIRE_MESSAGE(text(a) == text(b), describe() << " remove_engine " << id << ": "
                                                         << text(a) << " vs " << text(b));
    waiting_.erase(id);
    ids_.erase(id);
  }

  void remove_engine() {
    if (ids_.empty()) return;
    remove(any_of(ids_));
  }

  void remove_node() {
    const auto& node = any_of(nodes);
    auto a = new_.remove_node(node);
    auto b = old_.remove_node(node);
    BOOST_REQUIRE_MESSAGE(text(a) == text(b), describe() << " remove_node " << node << ": "
                                                         << text(a) << " vs " << text(b));
    for (auto i = ids_.begin(); i != ids_.end();) {
      if (i->rfind(node + "/", 0) == 0) {
        waiting_.erase(*i);
        i = ids_.erase(i);
      } else {
        ++i;
      }
    }
  }

  void set_draining() {
    const auto& node = any_of(nodes);
    bool on = pick(0, 2) == 0;
    new_.set_draining(node, on);
    old_.set_draining(node, on);
  }

  void set_limits() {
    scheduling_limits l;
    l.max_records_small = pick(2, 8);
    l.min_records_large = pick(20, 60);
    for (auto* t : {&l.merge, &l.weaver}) {
      t->parallel_medium = pick(1, 3);
      t->parallel_large = pick(1, 8);
      for (auto& r : t->reserved) r = pick(0, 3) == 0 ? pick(1, 2) : 0;
      t->additional_engine_every = std::vector<int>{0, 1, 3, 10}[pick(0, 3)];
      t->expected_remote = pick(0, 8);
    }
    new_.set_limits(l);
    old_.set_limits(l);
  }

  void add_job() {
    // Now and then a job is added again (a resume): its order and class change.
    int64_t id = !jobs_.empty() && pick(0, 9) == 0 ? any_of(jobs_) : next_job_++;
    int64_t records = std::vector<int64_t>{1, 3, 10, 30, 100}[pick(0, 4)] + pick(0, 5);
    new_.add_job(id, records);
    old_.add_job(id, records);
    jobs_.insert(id);
  }

  void add_batches() {
    if (jobs_.empty()) return;
    // Mostly known jobs; sometimes one that is gone (ignored by both).
    int64_t job = pick(0, 9) == 0 ? next_job_ + 100 : any_of(jobs_);
    auto type = pick(0, 2) == 0 ? engine_type::weaver : engine_type::merge;
    std::vector<batch> bs;
    for (int n = pick(1, 4); n > 0; --n) {
      int no = ++batch_no_[{job, static_cast<int>(type)}];
      bs.push_back(batch{job, type, no, 1, no * 10, no * 10 + 9});
    }
    new_.add_batches(bs);
    old_.add_batches(bs);
  }

  void remove_job() {
    if (jobs_.empty()) return;
    auto id = any_of(jobs_);
    new_.remove_job(id);
    old_.remove_job(id);
    jobs_.erase(id);
    gone_.insert(id);
  }

  void wait() {
    if (ids_.empty()) return;
    auto id = any_of(ids_);
    // Like the scheduler: `want` waits for one batch, `take` for up to prefetch - held.
    bool multi = pick(0, 1) == 0;
    int slots = multi ? pick(1, 3) : 1;
    new_.wait(id, slots, multi);
    waiting_[id] = reference_waiter{slots, multi};
  }

  void unwait() {
    if (waiting_.empty()) return;
    auto id = any_of(waiting_).first;
    new_.unwait(id);
    waiting_.erase(id);
  }

  void complete() {
    if (ids_.empty()) return;
    auto id = any_of(ids_);
    const auto& held = old_.held(id);
    batch b;
    if (!held.empty()) {
      b = any_of(held);
      if (pick(0, 4) == 0) b.attempt -= 1;  // a late result of an old attempt
    } else if (!jobs_.empty()) {
      b = batch{any_of(jobs_), engine_type::merge, pick(1, 4), 1, 0, 0};
    }
    bool a = new_.complete(id, b);
    bool o = old_.complete(id, b);
    BOOST_REQUIRE_MESSAGE(a == o, describe() << " complete " << id << " " << text(b));
    if (!o) ++refused;
  }

  void dispatch() {
    auto o = reference_dispatch(old_, waiting_);
    auto n = new_.dispatch();
    BOOST_REQUIRE_MESSAGE(text(n) == text(o), describe()
                                                  << " dispatch: " << text(n) << " vs " << text(o));
    for (const auto& [id, bs] : o) {
      waiting_.erase(id);
      granted += bs.size();
      if (bs.size() > 1) ++multi_rounds;
    }
  }

  // The policy's own questions, asked outside a dispatch (the fixtures and tests do).
  void direct() {
    if (ids_.empty()) return;
    auto id = any_of(ids_);
    bool next = pick(0, 1) == 0;
    auto a = next ? new_.next_for(id) : new_.another_for(id);
    auto o = next ? old_.next_for(id) : old_.another_for(id);
    BOOST_REQUIRE_MESSAGE(text(a) == text(o), describe()
                                                  << (next ? " next_for " : " another_for ") << id
                                                  << ": " << text(a) << " vs " << text(o));
  }

  void compare() {
    ++steps_;
    BOOST_REQUIRE_EQUAL(new_.engines().size(), old_.engines().size());
    for (const auto& [id, e] : old_.engines()) {
      auto n = new_.engines().find(id);
      BOOST_REQUIRE_MESSAGE(n != new_.engines().end(), describe() << " engine " << id);
      BOOST_REQUIRE_MESSAGE(text(n->second.held) == text(e.held),
                            describe() << " held by " << id << ": " << text(n->second.held)
                                       << " vs " << text(e.held));
      BOOST_REQUIRE_EQUAL(n->second.standby, e.standby);
      BOOST_REQUIRE_EQUAL(n->second.batches_done, e.batches_done);
      BOOST_REQUIRE_EQUAL(new_.waiting(id), waiting_.count(id) > 0);
    }
    for (auto type : {engine_type::merge, engine_type::weaver}) {
      auto a = new_.capacity(type);
      auto o = old_.capacity(type);
      BOOST_REQUIRE_EQUAL(a.active, o.active);
      BOOST_REQUIRE_EQUAL(a.standby, o.standby);
      BOOST_REQUIRE_EQUAL(a.registered_remote, o.registered_remote);
    }
    auto check_job = [&](int64_t id) {
      BOOST_REQUIRE_EQUAL(new_.has_job(id), old_.has_job(id));
      BOOST_REQUIRE(new_.class_of(id) == old_.class_of(id));
      for (auto type : {engine_type::merge, engine_type::weaver}) {
        BOOST_REQUIRE_MESSAGE(new_.engines_allowed(id, type) == old_.engines_allowed(id, type),
                              describe() << " engines_allowed " << id);
        BOOST_REQUIRE_MESSAGE(new_.engines_granted(id, type) == old_.engines_granted(id, type),
                              describe() << " engines_granted " << id);
        BOOST_REQUIRE_EQUAL(new_.queued(id, type), old_.queued(id, type));
        BOOST_REQUIRE_EQUAL(new_.running(id, type), old_.running(id, type));
      }
    };
    for (auto id : jobs_) check_job(id);
    for (auto id : gone_) check_job(id);
  }

  std::mt19937 rng_;
  scheduling_policy new_;
  reference_policy old_;
  std::set<std::string> ids_;
  std::set<int64_t> jobs_;
  std::set<int64_t> gone_;
  std::map<std::string, reference_waiter> waiting_;
  std::map<std::pair<int64_t, int>, int> batch_no_;
  int64_t next_job_ = 1;
  std::size_t steps_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(decides_like_the_full_scan_on_random_sequences) {
  std::size_t granted = 0, multi = 0, refused = 0;
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      twin t(seed);
      for (int i = 0; i < 1000; ++i) t.step();
      granted += t.granted;
      multi += t.multi_rounds;
      refused += t.refused;
    }
  }
  BOOST_TEST_MESSAGE("batches handed out " << granted << ", engines given several " << multi
                                           << ", stale completions refused " << refused);
  // The sequences must exercise what they compare.
  BOOST_TEST(granted > 5000u);
  BOOST_TEST(multi > 500u);
  BOOST_TEST(refused > 2000u);
}

// What the incremental dispatch is for: a waiting engine that cannot get anything is not
// looked at, so a re-ask while nothing changed costs no walk over the others.
BOOST_AUTO_TEST_CASE(idle_waiting_engines_cost_nothing_until_there_is_work) {
  scheduling_limits l;
  l.merge.parallel_large = 1000;
  l.merge.additional_engine_every = 0;
  l.merge.expected_remote = 1000;
  scheduling_policy p(l);
  for (int n = 0; n < 1000; ++n) {
    auto id = engine_id("n" + std::to_string(n), engine_type::merge, 0);
    p.add_engine(id, engine_type::merge, "n" + std::to_string(n), false);
    p.wait(id, 1, false);
  }
  p.add_job(1, 100000);
  BOOST_TEST(p.dispatch().empty());
  BOOST_TEST(p.looked_at() == 0u);
  p.add_batches(
      {batch{1, engine_type::merge, 1, 1, 1, 10}, batch{1, engine_type::merge, 2, 1, 11, 20}});
  auto given = p.dispatch();
  BOOST_TEST(given.size() == 2u);
  BOOST_TEST(p.looked_at() == 2u);
  // The two engines that got the batches are the first two in id order.
  BOOST_TEST(given.begin()->first == engine_id("n0", engine_type::merge, 0));
  BOOST_TEST(p.dispatch().empty());
  BOOST_TEST(p.looked_at() == 0u);
}
