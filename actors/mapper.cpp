// The job mapper (mapper.hpp).

#include "actors/mapper.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "actors/actors.hpp"
#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/field_usage.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/output_planning.hpp"
#include "actors/planning/record_mapping.hpp"
#include "actors/protocol.hpp"
#include "storage/job_store.hpp"
#include "storage/storage_error.hpp"

namespace weft::actors {

using planning::key_writer;
using planning::parse_job_options;
using planning::planned_after_merge;

namespace {

using storage::job_state;

constexpr std::size_t mapping_chunk = 1000;  ///< records per insert transaction

/// Streams a job's data file into `records` in chunks, then tells the
/// scheduler how many records there are. Detached: it blocks on the file and
/// the database. A malformed row fails the job with its row number.
void mapper(caf::blocking_actor* self, node_context ctx, int64_t job_id, caf::actor scheduler) {
  storage::job_store store(*ctx.db, ctx.fence);  // the master's writes are fenced
  try {
    auto job = store.job(job_id);
    if (storage::finished(job.state)) return;
    // Batches an interrupted mapping had cut are gone with it; this mapping's attempts
    // start above theirs, so an engine still running one of them is refused.
    const int32_t attempt_base = store.reset_mapping(job_id);
    store.set_state(job_id, job_state::mapping);
    self->send(scheduler, map_progress_atom::value, job_id, int64_t{0}, attempt_base);
    auto format = document::parse_data_format(job.data_format);
    document::reader_options options;
    options.source_name = std::filesystem::path(job.data_path).filename().string();
    options.data = document::data_options_of_job(job.options_json);
    auto reader = document::open_record_reader(job.data_path, format, options);
    planning::record_mapper rows(job.template_path, options, ctx.db->max_statement_bytes());
    auto job_opts = parse_job_options(job.options_json);
    std::optional<key_writer> keys;
    if (planned_after_merge(job_opts))
      keys.emplace(ctx.files_root(), job_id, job_opts, options.source_name);
    std::vector<storage::record_row> chunk;
    // Stopping the node stops mapping between chunks; the job stays in
    // `mapping` and starts over when the master starts again.
    chunk.reserve(mapping_chunk);
    document::record r;
    int64_t count = 0;
    while (reader->next(r)) {
      ++count;
      if (keys) keys->add(count, r);
      chunk.push_back(rows.row(count, r));  // a row too large for the database: data_error
      if (chunk.size() == mapping_chunk) {
        if (ctx.stopping->load()) return;
        store.insert_records(job_id, chunk);
        chunk.clear();
        // Committed: merge batches over them may start while the rest is read.
        self->send(scheduler, map_progress_atom::value, job_id, count, attempt_base);
      }
    }
    if (!chunk.empty()) store.insert_records(job_id, chunk);
    if (keys) keys->finish();
    if (count == 0) throw document::data_error(options.source_name, 0, 0, "no records");
    auto report = rows.report(reader->describe());
    planning::log_mapping(job_id, options.source_name, reader->describe(), report);
    store.set_mapping_report(job_id, report.dump());
    self->send(scheduler, mapped_atom::value, job_id, count);
  } catch (const document::data_error& e) {
    self->send(scheduler, map_failed_atom::value, job_id, std::string{e.what()});
  } catch (const storage::storage_error& e) {
    if (e.code == storage::errc::fenced) {  // another master took over: change nothing
      ctx.on_fenced(e.what());
      return;
    }
    // The database is away (or busy): leave the job as it is; the scheduler
    // retries. Anything else storage says (a row it refuses, corrupt data) will
    // not go away by retrying: the job fails.
    if (e.code == storage::errc::unavailable || e.code == storage::errc::conflict)
      self->send(scheduler, map_retry_atom::value, job_id, std::string{e.what()});
    else
      self->send(scheduler, map_failed_atom::value, job_id, std::string{e.what()});
  } catch (const std::exception& e) {
    self->send(scheduler, map_failed_atom::value, job_id, std::string{e.what()});
  }
}
}  // namespace

caf::actor spawn_mapper(caf::actor_system& sys, const node_context& ctx, int64_t job,
                        const caf::actor& scheduler) {
  return sys.spawn<caf::detached>(mapper, ctx, job, scheduler);
}

}  // namespace weft::actors
