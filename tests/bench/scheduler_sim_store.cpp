// The simulation's store (scheduler_sim_store.hpp). Every message of the store
// worker's protocol is handled in sim_store below, and only there: when the
// protocol changes (actors/protocol.hpp, actors/store_worker.hpp), this
// function changes.

#include "tests/bench/scheduler_sim_store.hpp"

#include <caf/all.hpp>
#include <map>
#include <random>
#include <thread>

#include "actors/protocol.hpp"
#include "storage/job_store.hpp"

namespace weft::bench {

namespace {

using namespace weft::actors;
using storage::job_state;
using storage::phase;

struct store_memory {
  std::map<int64_t, job_state> jobs;
  std::mt19937_64 rng{42};
};

caf::behavior sim_store(caf::event_based_actor* self, std::shared_ptr<sim_store_counters> c,
                        std::chrono::microseconds lo, std::chrono::microseconds hi) {
  auto m = std::make_shared<store_memory>();
  // One request at a time (this actor is detached): the delay is a database
  // round trip and commit, as the real worker blocks on its connection.
  auto db = [m, c, lo, hi] {
    ++c->requests;
    std::uniform_int_distribution<int64_t> d(lo.count(), std::max(lo.count(), hi.count()));
    std::this_thread::sleep_for(std::chrono::microseconds(d(m->rng)));
  };
  auto rows = [] { return job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>()}; };
  self->set_default_handler(
      [c](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        ++c->unexpected;
        return caf::make_error(caf::sec::unexpected_message);
      });
  return {
      // Nothing unfinished and nothing queued: the jobs arrive as (submitted …).
      [=](adopt_atom) {
        db();
        return rows();
      },
      [=](load_atom) {
        db();
        return rows();
      },
      [=](open_batches_atom, int64_t, phase) {
        db();
        return caf::make_message(
            batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>()}, int32_t{0},
            int32_t{0});
      },
      [=](save_mapping_atom, int64_t job, int64_t, batch_rows_ptr batches, batch_rows_ptr segments,
          const std::string&) {
        db();
        m->jobs[job] = job_state::merging;
        c->batches += static_cast<int64_t>(batches->size() + segments->size());
        if (job == 1) c->queued_large += static_cast<int64_t>(batches->size());
        ++c->mapped_jobs;
        return true;
      },
      [=](save_weaving_atom, int64_t job, batch_rows_ptr segments) {
        db();
        m->jobs[job] = job_state::weaving;
        c->batches += static_cast<int64_t>(segments ? segments->size() : 0);
        return true;
      },
      [=](save_state_atom, int64_t job, job_state state, const std::string&) {
        db();
        auto j = m->jobs.find(job);
        if (j == m->jobs.end() || storage::finished(j->second)) return false;
        j->second = state;
        if (state == job_state::done)
          ++c->jobs_done;
        else
          ++c->jobs_failed;
        return true;
      },
      [=](status_atom, int64_t job) {
        db();
        return std::string{"{\"id\":"} + std::to_string(job) + "}";
      },
      [=](attempt_atom, attempt_updates_ptr) {
        db();
        return true;
      },
      [=](register_atom, const std::string&, const std::string&, const std::string&,
          const std::string&) {
        db();
        ++c->registers;
      },
      [=](lost_atom, const std::string&) { db(); },
  };
}

}  // namespace

caf::actor spawn_sim_store(caf::actor_system& sys, std::shared_ptr<sim_store_counters> counters,
                           std::chrono::microseconds min_delay,
                           std::chrono::microseconds max_delay) {
  return sys.spawn<caf::detached>(sim_store, std::move(counters), min_delay, max_delay);
}

}  // namespace weft::bench
