// The output planner (planner.hpp).

#include "actors/planner.hpp"

#include <caf/all.hpp>

#include "actors/planning/output_planning.hpp"
#include "actors/protocol.hpp"
#include "actors/store_worker.hpp"

namespace weft::actors {

using planning::job_options;
using planning::plan_outputs;

namespace {

/// Plans the outputs of a sorted or grouped job once all its records are
/// merged (detached: it reads the job's keys file).
void planner(caf::blocking_actor* self, node_context ctx, int64_t job_id, job_options options,
             caf::actor scheduler) {
  try {
    auto rows = plan_outputs(ctx.files_root(), job_id, options);
    self->send(scheduler, planned_atom::value, job_id,
               batch_rows_ptr{std::make_shared<const std::vector<storage::batch_row>>(rows)});
  } catch (const std::exception& e) {
    self->send(scheduler, plan_failed_atom::value, job_id, std::string{e.what()});
  }
}

}  // namespace

caf::actor spawn_planner(caf::actor_system& sys, const node_context& ctx, int64_t job,
                         const planning::job_options& options, const caf::actor& scheduler) {
  return sys.spawn<caf::detached>(planner, ctx, job, options, scheduler);
}

}  // namespace weft::actors
