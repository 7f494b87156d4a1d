// The scheduler's store worker (store_worker.hpp).

#include "actors/store_worker.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/protocol.hpp"
#include "storage/cluster_store.hpp"
#include "storage/job_store.hpp"

namespace weft::actors {

using planning::job_json;

namespace {

using storage::job_state;
using storage::phase;

/// Runs the scheduler's database work, one request at a time, off the
/// cooperative threads. Storage errors become CAF errors carrying the text.
caf::behavior store_worker(caf::event_based_actor* self, node_context ctx) {
  // Every write carries the master's fence (storage/master_store.hpp).
  auto store = std::make_shared<storage::job_store>(*ctx.db, ctx.fence);
  // Never let a stray message or error end the worker (and, linked, the scheduler).
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        spdlog::error("scheduler store: unexpected message {}", sanitised(to_string(x.content())));
        return caf::message{};
      });
  self->set_error_handler(
      [](caf::error& err) { spdlog::error("scheduler store: error {}", caf::to_string(err)); });
  // A storage error keeps its kind across the boundary (errors.hpp).
  auto guarded = [ctx](auto&& f) -> caf::result<caf::message> {
    try {
      return f();
    } catch (const storage::storage_error& e) {
      // Another master took over: this one steps down (changing nothing more).
      if (e.code == storage::errc::fenced) ctx.on_fenced(e.what());
      return from_storage(e);
    } catch (const std::exception& e) {
      return failure(e.what());
    }
  };
  return {
      // Queued jobs (the scheduler adopts those submitted on an extension).
      [=](adopt_atom) {
        return guarded([&] {
          auto rows = store->jobs(job_state::queued, 1000);
          return caf::make_message(
              job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>(rows)});
        });
      },
      // Unfinished jobs, with their open batches, for the restart.
      [=](load_atom) {
        return guarded([&] {
          auto rows = store->unfinished_jobs();
          return caf::make_message(
              job_rows_ptr{std::make_shared<const std::vector<storage::job_row>>(rows)});
        });
      },
      [=](open_batches_atom, int64_t job, phase p) {
        return guarded([&] {
          auto open = store->open_batches(job, p);
          auto progress = store->progress(job, p);
          return caf::make_message(
              batch_rows_ptr{
                  std::make_shared<const std::vector<storage::batch_row>>(std::move(open))},
              int32_t{progress.first}, int32_t{progress.second});
        });
      },
      [=](save_mapping_atom, int64_t job, int64_t records, batch_rows_ptr batches,
          batch_rows_ptr segments, std::string job_class) {
        return guarded([&] {
          store->finish_mapping(job, records, *batches, *segments, /*keep_added=*/true);
          store->set_class(job, job_class, "");
          return caf::make_message(true);
        });
      },
      [=](add_batches_atom, int64_t job, batch_rows_ptr batches) {
        return guarded([&] {
          store->add_merge_batches(job, *batches);
          return caf::make_message(true);
        });
      },
      [=](save_weaving_atom, int64_t job, batch_rows_ptr segs) {
        return guarded([&] {
          store->start_weaving(job, *segs);
          return caf::make_message(true);
        });
      },
      [=](save_state_atom, int64_t job, job_state state, std::string error) {
        return guarded([&] {
          bool moved = store->set_state(job, state, error);
          return caf::make_message(moved);
        });
      },
      // Requested: the scheduler hands the new attempt out only once it is stored
      // under its lease (scheduler::bump_attempt). Idempotent (attempt < new one).
      // New attempts (a lost engine's or node's batches, a resumed job's): one transaction,
      // one fence check, one commit. Requested: the scheduler hands them out only once they
      // are stored under its lease (scheduler::bump_attempts). Idempotent.
      [=](attempt_atom, attempt_updates_ptr updates) {
        return guarded([&] {
          if (updates && !updates->empty()) store->set_attempts(*updates);
          return caf::make_message(true);
        });
      },
      [=](status_atom, int64_t job) {
        return guarded([&] { return caf::make_message(job_json(*store, job)); });
      },
      // The engines table: informative (the shell shows it), never fatal.
      [=](register_atom, const std::string& id, const std::string& node, const std::string& type,
          const std::string& state) {
        try {
          storage::cluster_store(*ctx.db).engine_registered({id, node, type, state, 0});
        } catch (const std::exception& e) {
          spdlog::warn("scheduler: cannot store engine {}: {}", id, e.what());
        }
      },
      // A node's engines are lost. Written here, after their registrations, so that a
      // node lost right after it joined cannot end up shown with idle engines.
      [=](lost_atom, const std::string& node) {
        try {
          storage::cluster_store(*ctx.db).set_node_engines_state(node, "lost");
        } catch (const std::exception& e) {
          spdlog::warn("scheduler: cannot store the engines of node {} as lost: {}", node,
                       e.what());
        }
      },
  };
}
}  // namespace

caf::actor spawn_store_worker(caf::actor_system& sys, const node_context& ctx) {
  return sys.spawn<caf::detached>(store_worker, ctx);
}

}  // namespace weft::actors
