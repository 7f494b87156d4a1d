// The engine: merge and weaver engines are one actor (engine.hpp).
//
// Each engine is a detached actor: it blocks on the database, the template
// and the file store, never on the cooperative scheduler's threads. It
// registers with the scheduler and then pulls: "take" (reporting the batches it
// finished) → up to `[scheduler] prefetch` batches, or "no work" → work → "take"
// again, asked while its last batch still runs (issue 15). Results reach the
// database before the scheduler hears of them — the results finished since the
// last report in one transaction, each fenced alone — and the database refuses a
// result of an attempt that is no longer current, so a lost message or a
// late engine can never put a record into an output twice.

#include "actors/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/document/data_options.hpp"
#include "actors/document/output_error.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "actors/job_limits.hpp"
#include "actors/metrics/registry.hpp"
#include "actors/planning/batch_json.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/job_resources.hpp"
#include "actors/planning/output_planning.hpp"
#include "actors/protocol.hpp"
#include "actors/trust/log_text.hpp"
#include "config/duration.hpp"
#include "storage/filestore/content_file.hpp"
#include "storage/filestore/layout.hpp"
#include "storage/job_store.hpp"
#include "storage/short_read.hpp"
#include "storage/storage_error.hpp"

namespace weft::actors {

using filestore::content_reader;
using filestore::content_writer;
using planning::finished_batch;
using planning::job_json;
using planning::job_options;
using planning::parse_job_options;
using planning::planned_after_merge;
using planning::planned_segment;
using planning::read_planned_segment;

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A job's data the engine needs, loaded once per job.
struct job_view {
  int64_t id = 0;
  document::output_format format = document::output_format::pdf;
  job_options options;
  std::unique_ptr<document::compiled_template> tmpl;  // merge engines only
  std::string template_path;  // weavers check it once per output file (PDF layout warnings)
  bool strict = false;        // submit --strict: a layout warning fails the job
  int64_t records = 0;        // the job's record count (known once mapped)
};

/// A batch the engine could not finish for a reason that is the job's fault
/// (its template, its content, its limits): the job fails.
struct job_fault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The batch's job ended meanwhile (cancelled, or failed by another batch):
/// the engine drops the batch without a word and asks for more work.
struct job_ended : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How often a running batch looks whether its job has ended (a database read).
constexpr auto job_state_every = std::chrono::seconds(1);

/// engine → itself: run the next batch it holds (after the messages already queued,
/// so that a grant or an answer that arrived meanwhile is read first).
using run_next_atom = caf::atom_constant<caf::atom("runnext")>;

/// A batch the engine finished whose result is not stored yet: stored with the
/// others finished since the last report, in one transaction (job_store::complete_batches).
struct finished_result {
  batch b;
  storage::completion result;
  std::string file;  ///< the content or output file to remove if the result is refused
  int64_t records = 0;
  int64_t pages = 0;
  std::chrono::steady_clock::time_point started;
};

struct engine_state {
  node_context ctx;
  std::string id;
  engine_type type = engine_type::merge;
  caf::actor scheduler;
  std::unique_ptr<storage::job_store> store;
  std::unique_ptr<job_view> job;
  bool registered = false;
  bool in_flight = false;   ///< a register or take request is out
  uint64_t generation = 0;  ///< bumped on (joined)/(left): older replies are ignored
  int prefetch = 2;         ///< `[scheduler] prefetch`: batches held at most
  /// Batches handed to this engine and not run yet, oldest first.
  std::deque<batch> queue;
  /// Finished batches whose results are not stored yet.
  std::vector<finished_result> finished;
  /// Stored results not yet acknowledged by the scheduler: sent with every take until one
  /// is answered (a lost request loses no report; a report seen twice changes nothing).
  std::vector<finished_batch> reports;
  std::size_t reports_sent = 0;  ///< how many of `reports` the take in flight carries
  bool run_scheduled = false;    ///< a run_next is in the mailbox
  bool paused = false;           ///< backing off: a tick is due
  /// The scheduler had nothing more while this engine still held work: ask again only
  /// when the next batch finishes.
  bool asked_early = false;
  std::chrono::milliseconds backoff{100};
  /// WEFT_BENCH_NOOP_ENGINES=1 (scripts/bench.sh only): batches are completed,
  /// durably and fenced as usual, without rendering or writing anything, so
  /// that the scheduling overhead per batch can be measured.
  bool noop = false;
  // The batch being worked on: its time budget and when its job's state was read last.
  std::chrono::steady_clock::time_point batch_deadline;
  std::chrono::steady_clock::time_point state_read;
  static inline const char* name = "engine";
};

using engine_actor = caf::stateful_actor<engine_state>;

job_view& load_job(engine_state& st, int64_t job_id) {
  if (st.job && st.job->id == job_id) return *st.job;
  auto row = st.store->job(job_id);
  auto view = std::make_unique<job_view>();
  view->id = job_id;
  auto format = document::parse_output_format(row.format);
  if (!format) throw job_fault("unknown output format '" + row.format + "'");
  view->format = *format;
  view->options = parse_job_options(row.options_json);
  view->template_path = row.template_path;
  view->records = row.record_count;
  try {
    view->strict = document::data_options_of_job(row.options_json).strict;
  } catch (const std::exception&) {
    view->strict = false;  // the mapper reports bad data options
  }
  if (st.type == engine_type::merge) {
    try {
      document::template_engine engine(document::template_escape_for(*format),
                                       template_limits_of(st.ctx.settings->jobs));
      view->tmpl =
          std::make_unique<document::compiled_template>(engine.compile_file(row.template_path));
    } catch (const document::template_error& e) {
      throw job_fault(e.what());
    }
  }
  st.job = std::move(view);
  return *st.job;
}

/// Throws when the batch must stop: its time budget (`jobs.max_batch_time`) is
/// spent (job_fault) or its job has ended (job_ended: a `cancel` stops a
/// running render). Called between records and, through the template's render
/// check, inside a long render. The job's state is read at most once a second.
void check_batch(engine_state& st, const batch& b) {
  const auto now = std::chrono::steady_clock::now();
  if (now > st.batch_deadline) {
    throw job_fault(
        std::string{to_string(b.type)} + " batch " + std::to_string(b.batch_no) + " (records " +
        std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq) + ") took longer than " +
        config::format_duration(st.ctx.settings->jobs.max_batch_time) + " (jobs.max_batch_time)");
  }
  if (now - st.state_read < job_state_every) return;
  st.state_read = now;
  try {
    const auto state = st.store->job(b.job_id).state;
    if (storage::finished(state))
      throw job_ended("job " + std::to_string(b.job_id) + " is " + storage::to_string(state));
  } catch (const storage::storage_error&) {
    // The database is away: keep rendering; the result's write will tell.
  }
}

/// Starts the clock of a batch.
void start_batch(engine_state& st) {
  st.batch_deadline = std::chrono::steady_clock::now() + st.ctx.settings->jobs.max_batch_time;
  st.state_read = std::chrono::steady_clock::now();
}

/// Removes the file of a refused result — unless an accepted result names the
/// same file (two grants of one attempt number: never from one master, and a
/// paused master's are held back by scheduler::bump_attempt; kept as the last
/// guard, since deleting an accepted file loses records).
void remove_refused(engine_state& st, int64_t job, const std::string& path) {
  try {
    if (st.store->names_file(job, path)) {
      spdlog::error(
          "{}: job {}: a refused result wrote {}, which an accepted result names; "
          "kept",
          st.id, job, path);
      return;
    }
  } catch (const std::exception& e) {
    spdlog::warn("{}: job {}: {} kept (cannot check whether it is in use: {})", st.id, job, path,
                 e.what());
    return;
  }
  std::error_code ec;
  fs::remove(path, ec);
}

/// Renders records [first, last] into one content file: its result, to be stored.
finished_result run_merge(engine_state& st, const batch& b) {
  finished_result f;
  f.b = b;
  f.result.phase = storage::phase::merge;
  auto& c = f.result.content;
  c.job_id = b.job_id;
  c.batch_no = b.batch_no;
  c.attempt = b.attempt;
  if (st.noop) {
    c.records = b.last_seq - b.first_seq + 1;
    f.records = c.records;
    return f;
  }
  auto& job = load_job(st, b.job_id);
  auto records = st.store->records(b.job_id, b.first_seq, b.last_seq);
  // Every record of a batch is stored before the batch is handed out: fewer means the read
  // was cut short (seen when the database shut down in the middle of the query: no rows and
  // no error), and an empty content would be accepted as the batch's result. Retried.
  storage::require_complete_read(
      "job " + std::to_string(b.job_id) + " batch " + std::to_string(b.batch_no) + " records",
      static_cast<int64_t>(records.size()), b.last_seq - b.first_seq + 1);
  auto path = filestore::content_path(st.ctx.files_root(), b.job_id, b.batch_no, b.attempt);
  content_writer out(path);
  std::string text;
  const auto max_pages = static_cast<std::size_t>(st.ctx.settings->jobs.max_document_pages);
  job.tmpl->set_render_check([&st, &b] { check_batch(st, b); });
  for (const auto& r : records) {
    check_batch(st, b);
    text.clear();
    try {
      job.tmpl->render(nlohmann::json::parse(r.body), text);
    } catch (const job_ended&) {
      throw;
    } catch (const std::exception& e) {
      throw job_fault("record " + std::to_string(r.seq) + ": " + e.what());
    }
    // Form feeds alone already make too many pages: fail now, naming the record, rather
    // than when the document is woven.
    if (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\f')) >= max_pages)
      throw job_fault("record " + std::to_string(r.seq) + ": " +
                      document::too_many_pages(max_pages));
    out.add(r.seq, text);
  }
  c.path = path;
  c.bytes = out.finish();
  c.records = static_cast<int64_t>(records.size());
  f.records = c.records;
  f.file = path;
  return f;
}

std::string segment_file(const job_view& job, const batch& b, const std::string& segment_name) {
  return filestore::output_file_name(job.options.name, segment_name, b.attempt,
                                     document::extension(job.format));
}

/// Adds record `seq`'s document; a document past a writer's limit (pages)
/// fails the job naming the record.
void add_document(document::output_writer& writer, int64_t seq, const std::string& text) {
  try {
    writer.next_record(seq);
    writer.add_document(text);
  } catch (const document::output_error& e) {
    throw job_fault("record " + std::to_string(seq) + ": " + e.what());
  }
}

/// Documents [first, last] in record order: a job without sort_by/group_by.
void weave_range(engine_state& st, const batch& b, document::output_writer& writer) {
  int64_t seq = 0;
  std::string text;
  int64_t expected = b.first_seq;
  // Read afresh for every segment: segments are woven while merging goes on. A segment
  // is handed out once the merge batches of its range are done: a row missing for the
  // range means a read cut short, retried (storage/short_read.hpp), not a job fault.
  const auto rows = st.store->contents(b.job_id);
  storage::require_contents_cover(rows, b.job_id, b.first_seq, b.last_seq);
  for (const auto& c : rows) {
    // content rows come in record order, each a contiguous range of records
    if (c.last_seq < b.first_seq) continue;
    if (c.first_seq > b.last_seq) break;
    content_reader in(c.path);
    while (in.next(seq, text)) {
      if (seq < b.first_seq) continue;
      if (seq > b.last_seq) break;
      if (seq != expected)
        throw job_fault("content of job " + std::to_string(b.job_id) + " misses record " +
                        std::to_string(expected));
      add_document(writer, seq, text);
      ++expected;
    }
    if (expected > b.last_seq) break;
  }
  if (expected != b.last_seq + 1)
    throw job_fault("content of job " + std::to_string(b.job_id) + " ends before record " +
                    std::to_string(expected));
}

/// The documents of a planned segment (sorted/grouped job) in plan order: one
/// pass over the job's content collects them (at most one segment in memory).
void weave_planned(engine_state& st, const batch& b, const planned_segment& seg,
                   document::output_writer& writer) {
  std::unordered_map<int64_t, std::size_t> index;
  index.reserve(seg.records.size());
  for (std::size_t i = 0; i < seg.records.size(); ++i) index[seg.records[i]] = i;
  std::vector<std::string> texts(seg.records.size());
  std::vector<bool> found(seg.records.size(), false);
  int64_t seq = 0;
  std::string text;
  // Planned after merging: every merge batch is done; all of the job's records must
  // have a content row (a gap is a read cut short, retried).
  const auto rows = st.store->contents(b.job_id);
  storage::require_contents_cover(rows, b.job_id, 1, load_job(st, b.job_id).records);
  for (const auto& c : rows) {
    content_reader in(c.path);
    while (in.next(seq, text)) {
      auto at = index.find(seq);
      if (at == index.end()) continue;
      texts[at->second] = std::move(text);
      found[at->second] = true;
    }
  }
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (!found[i])
      throw job_fault("content of job " + std::to_string(b.job_id) + " misses record " +
                      std::to_string(seg.records[i]));
    add_document(writer, seg.records[i], texts[i]);
    std::string().swap(texts[i]);
  }
}

/// Writes one output segment: its result, to be stored.
finished_result run_weave(engine_state& st, const batch& b) {
  finished_result f;
  f.b = b;
  f.result.phase = storage::phase::weave;
  f.result.attempt = b.attempt;
  auto& o = f.result.output;
  o.job_id = b.job_id;
  o.segment_no = b.batch_no;
  if (st.noop) {
    o.format = "none";
    return f;
  }
  auto& job = load_job(st, b.job_id);
  std::optional<planned_segment> planned;
  std::string segment_name;
  if (planned_after_merge(job.options)) {
    planned = read_planned_segment(st.ctx.files_root(), b.job_id, b.batch_no);
    segment_name = planned->name;
  } else {
    char num[16];
    std::snprintf(num, sizeof num, "%04d", b.batch_no + 1);
    segment_name = num;
  }
  auto path = filestore::output_dir(st.ctx.files_root(), b.job_id) + "/" +
              segment_file(job, b, segment_name);
  fs::create_directories(fs::path(path).parent_path());
  document::output_options options;
  options.max_document_pages = static_cast<std::uint64_t>(st.ctx.settings->jobs.max_document_pages);
  options.max_image_bytes = static_cast<std::uint64_t>(st.ctx.settings->jobs.max_image_bytes);
  options.resources_dir =
      planning::resources_dir_of(st.ctx.files_root(), b.job_id, st.ctx.settings->files.resources);
  options.template_path = job.template_path;
  options.strict = job.strict;
  options.max_warnings = static_cast<std::size_t>(st.ctx.settings->jobs.max_warnings);
  std::unique_ptr<document::output_writer> writer;
  try {
    writer = document::make_output_writer(job.format, path, options);
  } catch (const document::output_error& e) {
    throw job_fault(e.what());  // the template breaks --strict, a font folder is unusable
  }
  if (planned)
    weave_planned(st, b, *planned, *writer);
  else
    weave_range(st, b, *writer);
  // Outside the template subset: reported once per output file (not per document).
  for (const auto& w : writer->warnings())
    spdlog::warn("{}: job {} segment {}: {}", st.id, b.job_id, b.batch_no, trust::log_text(w, 400));
  auto stats = writer->finish();
  // Stored with the output row (replaced if the batch is woven again); job_json merges them.
  const nlohmann::json warnings = planning::layout_warnings_json(
      writer->warnings(), writer->dropped_warnings(), options.max_warnings);
  o.path = stats.path.string();
  o.format = std::string{document::to_string(job.format)};
  o.documents = static_cast<int64_t>(stats.documents);
  o.pages = static_cast<int64_t>(stats.pages);
  o.bytes = static_cast<int64_t>(stats.bytes);
  if (!warnings.is_null()) o.warnings = warnings.dump();
  f.records = o.documents;
  f.pages = o.pages;
  f.file = path;
  return f;
}

void step(engine_actor* self);

void retry_later(engine_actor* self) {
  auto& st = self->state;
  if (st.paused) return;  // a tick is due already
  st.paused = true;
  self->delayed_send(self, st.backoff, tick_atom::value);
  st.backoff = std::min(st.backoff * 2, std::chrono::milliseconds(2000));
}

/// The engine's metrics (docs/operations.md "Metrics"), looked up once per batch outcome.
void count_batch(const engine_state& st, const char* result,
                 std::chrono::steady_clock::time_point started, int64_t records = 0,
                 int64_t pages = 0) {
  auto& r = metrics::global();
  const std::string node = st.ctx.node().name;
  const std::string phase = st.type == engine_type::merge ? "merge" : "weave";
  r.counter_of("weft_batches_total",
               "Batches an engine of this node finished, by phase and result (accepted, "
               "refused: another attempt won, failed: the job failed, retried: database "
               "unreachable).",
               {{"node", node}, {"phase", phase}, {"result", result}})
      .inc();
  if (std::string{result} != "accepted") return;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  r.histogram_of("weft_batch_duration_seconds",
                 "Time an engine took for one accepted batch, by phase (merge, weave).",
                 {{"phase", phase}})
      .observe(took.count());
  if (st.type == engine_type::merge) {
    r.counter_of("weft_records_merged_total",
                 "Records merged into content by this node's merge engines.",
                 {{"node", node}, {"engine", "merge"}})
        .inc(static_cast<double>(records));
  } else {
    r.counter_of("weft_documents_woven_total",
                 "Documents written to outputs by this node's weaver engines.",
                 {{"node", node}, {"engine", "weaver"}})
        .inc(static_cast<double>(records));
    r.counter_of("weft_pages_total", "Pages written to outputs by this node's weaver engines.",
                 {{"node", node}, {"engine", "weaver"}})
        .inc(static_cast<double>(pages));
  }
}

void count_database_error(const engine_state& st) {
  metrics::global()
      .counter_of("weft_database_errors_total",
                  "Database operations that failed on this node, by component; each is retried.",
                  {{"node", st.ctx.node().name}, {"component", "engine"}})
      .inc();
}

/// Drops the batches of `job` the engine still holds (the job ended or failed): the
/// scheduler forgot them when the job ended; their results would be refused.
void drop_queued(engine_state& st, int64_t job) {
  st.queue.erase(std::remove_if(st.queue.begin(), st.queue.end(),
                                [&](const batch& q) { return q.job_id == job; }),
                 st.queue.end());
}

/// Runs one batch; its result waits in `finished` until the next report stores it.
void run(engine_actor* self, const batch& b) {
  auto& st = self->state;
  const auto started = std::chrono::steady_clock::now();
  try {
    start_batch(st);
    auto f = st.type == engine_type::merge ? run_merge(st, b) : run_weave(st, b);
    f.started = started;
    st.finished.push_back(std::move(f));
    st.asked_early = false;
  } catch (const job_ended& e) {
    spdlog::info("{}: job {} batch {} dropped: {}", st.id, b.job_id, b.batch_no, e.what());
    st.job.reset();
    drop_queued(st, b.job_id);
  } catch (const job_fault& e) {
    spdlog::warn("{}: job {} batch {}: {}", st.id, b.job_id, b.batch_no, e.what());
    count_batch(st, "failed", started);
    self->send(st.scheduler, fail_atom::value, b.job_id, std::string{e.what()});
    st.job.reset();
    drop_queued(st, b.job_id);
  } catch (const storage::storage_error& e) {
    // The database is unreachable: acknowledge nothing; run the same batch again
    // after a pause (the scheduler still counts it as this engine's).
    spdlog::warn("{}: job {} batch {}: {}; retrying", st.id, b.job_id, b.batch_no, e.what());
    count_batch(st, "retried", started);
    count_database_error(st);
    st.job.reset();
    st.queue.push_front(b);
    retry_later(self);
  } catch (const std::exception& e) {
    spdlog::error("{}: job {} batch {}: {}", st.id, b.job_id, b.batch_no, e.what());
    count_batch(st, "failed", started);
    self->send(st.scheduler, fail_atom::value, b.job_id, std::string{e.what()});
    st.job.reset();
    drop_queued(st, b.job_id);
  }
  step(self);
}

/// Stores the finished results in one transaction (each fenced alone) and moves them to
/// the reports; false if the database could not be reached (they stay finished).
bool store_finished(engine_actor* self) {
  auto& st = self->state;
  if (st.finished.empty()) return true;
  std::vector<storage::completion> results;
  results.reserve(st.finished.size());
  for (const auto& f : st.finished) results.push_back(f.result);
  std::vector<bool> accepted;
  try {
    accepted = st.store->complete_batches(results, st.id, st.ctx.node().name);
  } catch (const storage::storage_error& e) {
    spdlog::warn("{}: storing {} finished batches: {}; retrying", st.id, results.size(), e.what());
    count_database_error(st);
    return false;
  }
  for (std::size_t i = 0; i < st.finished.size(); ++i) {
    const auto& f = st.finished[i];
    const bool ok = i < accepted.size() && accepted[i];
    count_batch(st, ok ? "accepted" : "refused", f.started, f.records, f.pages);
    if (!ok) {
      spdlog::info("{}: result of job {} batch {} attempt {} refused (another attempt won)", st.id,
                   f.b.job_id, f.b.batch_no, f.b.attempt);
      if (!f.file.empty()) remove_refused(st, f.b.job_id, f.file);
    }
    st.reports.push_back(finished_batch{f.b, ok});
  }
  st.finished.clear();
  return true;
}

void do_register(engine_actor* self) {
  auto& st = self->state;
  auto timeout = st.ctx.settings->cluster.request_timeout;
  auto gen = st.generation;
  st.in_flight = true;
  self->request(st.scheduler, timeout, register_atom::value, st.id, engine_type_atom(st.type),
                st.ctx.node().name, st.ctx.node().role == config::node_role::master,
                caf::actor{self})
      .then(
          [=](bool) {
            if (self->state.generation != gen) return;
            self->state.in_flight = false;
            self->state.registered = true;
            self->state.backoff = std::chrono::milliseconds(100);
            step(self);
          },
          [=](caf::error& err) {
            if (self->state.generation != gen) return;
            self->state.in_flight = false;
            spdlog::debug("{}: register failed: {}", self->state.id,
                          error_text(self->system(), err));
            retry_later(self);
          });
}

/// Reports the stored results and asks for up to `slots` more batches.
void take(engine_actor* self, int slots) {
  auto& st = self->state;
  auto timeout = st.ctx.settings->cluster.request_timeout + std::chrono::seconds(1);
  auto gen = st.generation;
  st.in_flight = true;
  st.reports_sent = st.reports.size();
  auto acknowledged = [self] {
    auto& s = self->state;
    s.reports.erase(s.reports.begin(), s.reports.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                               s.reports_sent, s.reports.size())));
    s.reports_sent = 0;
    s.in_flight = false;
  };
  self->request(st.scheduler, timeout, take_atom::value, st.id, int32_t{slots},
                static_cast<int32_t>(st.queue.size()), planning::finished_to_json(st.reports))
      .then(
          [=](batches_atom, const std::string& json) {
            auto& s = self->state;
            if (s.generation != gen) return;
            acknowledged();
            s.backoff = std::chrono::milliseconds(100);
            try {
              for (const auto& b : planning::batches_from_json(json)) {
                if (b.type != s.type) {
                  spdlog::error("{}: refused a batch for another engine type", s.id);
                  continue;
                }
                s.queue.push_back(b);
              }
            } catch (const std::exception& e) {
              spdlog::error("{}: unreadable grant: {}", s.id, e.what());
            }
            step(self);
          },
          [=](caf::error& err) {
            auto& s = self->state;
            if (s.generation != gen) return;
            if (weft_error_of(err) == weft_error::no_work) {  // nothing (more) for now
              acknowledged();
              if (!s.queue.empty()) s.asked_early = true;
              step(self);
              return;
            }
            s.in_flight = false;  // the reports are sent again with the next take
            auto text = error_text(self->system(), err);
            if (text.find("unknown engine") != std::string::npos) {
              // The scheduler forgot this engine: what it held went back to the queue.
              s.registered = false;
              s.queue.clear();
            }
            spdlog::debug("{}: asking for work failed: {}", s.id, text);
            retry_later(self);
          });
}

/// What the engine does next: register, store and report finished batches and ask for
/// more when its batches are done (prefetch 1 or 2) or at most one is left to run
/// (prefetch 3 and more: a grant arrives while that one runs), and run the next batch.
void step(engine_actor* self) {
  auto& st = self->state;
  if (!st.scheduler || st.paused) return;  // no master yet, or backing off
  if (!st.registered) {
    if (!st.in_flight) do_register(self);
    return;
  }
  // With room for at least two more batches, ask while the last one runs (the grant
  // travels meanwhile); with prefetch 2, ask when both are done, so that their results
  // share one transaction and one message — measured cheaper than asking early
  // (docs/benchmark.md, issue 15).
  const std::size_t ask_at = st.prefetch >= 3 ? 1 : 0;
  if (!st.in_flight && st.queue.size() <= ask_at) {
    const int room = st.prefetch - static_cast<int>(st.queue.size());
    const int slots = (st.queue.empty() || !st.asked_early) ? std::max(0, room) : 0;
    if (slots > 0 || !st.finished.empty() || !st.reports.empty()) {
      if (!store_finished(self)) {
        retry_later(self);
        return;
      }
      take(self, slots);
    }
  }
  if (!st.queue.empty() && !st.run_scheduled) {
    st.run_scheduled = true;
    self->send(self, run_next_atom::value);
  }
}

caf::behavior engine(engine_actor* self, node_context ctx, engine_type type, int index,
                     caf::actor scheduler) {
  auto& st = self->state;
  st.ctx = ctx;
  st.type = type;
  st.id = engine_id(ctx.node().name, type, index);
  st.scheduler = std::move(scheduler);
  st.store = std::make_unique<storage::job_store>(*ctx.db);
  st.prefetch = std::max(1, ctx.settings->scheduler.prefetch);
  const char* noop = std::getenv("WEFT_BENCH_NOOP_ENGINES");
  st.noop = noop && std::string{noop} == "1";
  self->send(self, tick_atom::value);
  // A new master (or none): what the old one handed out is its to hand out again (with
  // new attempts); finished results are still stored and reported (they are fenced).
  auto reset = [=](caf::actor scheduler_handle) {
    auto& s = self->state;
    s.scheduler = std::move(scheduler_handle);
    s.registered = false;
    s.in_flight = false;
    s.reports_sent = 0;
    s.queue.clear();
    ++s.generation;
  };
  harden(self, ctx, "engine");
  return trusted_behavior(
      self, ctx, "engine",
      [=](tick_atom) {
        self->state.paused = false;
        step(self);
      },
      [=](run_next_atom) {
        auto& s = self->state;
        s.run_scheduled = false;
        if (s.paused || s.queue.empty()) return;
        auto b = s.queue.front();
        s.queue.pop_front();
        run(self, b);
      },
      [=](inspect_atom) { return static_cast<int64_t>(self->mailbox().size()); },
      // An extension's agent joined the master: drive work from its scheduler.
      [=](joined_atom, const caf::actor& scheduler_handle) {
        reset(scheduler_handle);
        step(self);
      },
      // The master is gone: wait for the next (joined).
      [=](left_atom) { reset(caf::actor{}); });
}

}  // namespace

caf::actor spawn_engine(caf::actor_system& sys, const node_context& ctx, engine_type type,
                        int index, const caf::actor& scheduler) {
  return spawn_hardened(sys, true, engine, ctx, type, index, scheduler);
}

}  // namespace weft::actors
