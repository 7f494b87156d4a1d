// Exactly-once output across a crash: a node killed with SIGKILL in the
// middle of a large job and started again on the same files finishes the job,
// and every record is in the job's outputs exactly once.
//
// There is no client command yet to watch an existing job (`caf-node job ID`),
// so the test reads the job and its outputs from the embedded database, as an
// operator would with the sqlite3 shell, through the storage module.
#define BOOST_TEST_MODULE pipeline_crash
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>
#include <set>

#include "storage/database.hpp"
#include "storage/database_spec.hpp"
#include "storage/detail/session.hpp"
#include "storage/job_store.hpp"
#include "tests/pipeline/pipeline_support.hpp"

using namespace weft::test;
using namespace weft::test::pipeline;
namespace fs = std::filesystem;
using weft::storage::job_state;
using weft::storage::phase;

namespace {

constexpr int64_t records = 20000;

/// Small merge batches, so that a 20k-record job has many of them and is
/// surely in the middle of merging when it is killed.
const char* small_batches =
    "[scheduler]\n"
    "min_batch_size = 10\n"
    "max_batch_size = 200\n";
/// The same with merging while mapping (`[scheduler] merge_while_mapping`).
const char* small_batches_merged_while_mapping =
    "[scheduler]\n"
    "min_batch_size = 10\n"
    "max_batch_size = 200\n"
    "merge_while_mapping = true\n";

/// The node's database, opened beside the node (SQLite allows it).
std::unique_ptr<weft::storage::database> open_database(const test_node& node) {
  weft::storage::database_spec spec;
  spec.kind = weft::storage::backend_kind::sqlite;
  spec.sqlite_path = node.database_file();
  weft::storage::open_options options;
  options.migrate = false;
  return weft::storage::database::open(spec, std::chrono::seconds(30), options);
}

std::string describe(weft::storage::job_store& store, int64_t id) {
  auto job = store.job(id);
  auto merge = store.progress(id, phase::merge);
  auto weave = store.progress(id, phase::weave);
  return std::string{weft::storage::to_string(job.state)} + ", merge " +
         std::to_string(merge.first) + "/" + std::to_string(merge.second) + ", weave " +
         std::to_string(weave.first) + "/" + std::to_string(weave.second) +
         (job.error.empty() ? "" : ", error: " + job.error);
}

/// The batches of the job that are done, as "PHASE BATCH attempt N at FINISHED_AT":
/// a batch done again after the restart would have another finishing time.
std::set<std::string> done_batches(weft::storage::database& db, int64_t id) {
  namespace detail = weft::storage::detail;
  return detail::with_session(db, [&](soci::session& s) {
    std::set<std::string> out;
    soci::rowset<std::string> rows =
        (s.prepare << "SELECT phase || ' ' || batch_no || ' attempt ' || attempt || ' at ' || " +
                          detail::sql_timestamp_text("finished_at") +
                          " FROM batches WHERE state = 'done' AND job_id = " + std::to_string(id));
    for (const auto& r : rows) out.insert(r);
    return out;
  });
}

/// Submits the big job without waiting; returns its id.
int64_t submit_big_job(test_node& node, const std::string& format, int64_t split_every) {
  auto data = node.dir() + "/big.ndjson";
  if (!fs::exists(data)) {
    std::string why;
    BOOST_REQUIRE_MESSAGE(generate_invoices(records, data, why), why);
  }
  submit_request r;
  r.data = data;
  r.template_file = write_marked_template(node.dir());
  r.format = format;
  r.split_every = split_every;
  r.wait = false;
  auto res = submit(node, r, 120s);
  BOOST_REQUIRE_MESSAGE(res.exit_code == 0, res.err << "\nnode log:\n" << node.log());
  auto id = job_id_of(res.out);
  BOOST_REQUIRE_MESSAGE(id > 0, res.out);
  return id;
}

/// Waits until the job is finished, or until it has made no progress (state,
/// batches done) for `stall_limit`; returns its last state.
job_state wait_for_the_end(weft::storage::job_store& store, int64_t id,
                           std::chrono::milliseconds timeout,
                           std::chrono::milliseconds stall_limit = 60s) {
  job_state state = job_state::queued;
  std::string last_progress;
  auto last_change = std::chrono::steady_clock::now();
  wait_until(
      [&] {
        try {
          state = store.job(id).state;
          if (weft::storage::finished(state)) return true;
          auto progress = describe(store, id);
          if (progress != last_progress) {
            last_progress = progress;
            last_change = std::chrono::steady_clock::now();
          }
        } catch (const std::exception&) {
          return false;  // busy database: ask again
        }
        return std::chrono::steady_clock::now() - last_change > stall_limit;
      },
      timeout);
  return state;
}

/// The outputs the job lists: the expected number, every record exactly once
/// across them, and no other finished output file in the job's folder.
void check_outputs(test_node& node, weft::storage::job_store& store, int64_t id,
                   const std::string& format, int64_t expected_files) {
  auto outputs = store.outputs(id);
  BOOST_TEST(static_cast<int64_t>(outputs.size()) == expected_files);
  std::map<std::string, int> seen;
  int64_t documents = 0;
  std::set<fs::path> listed;
  for (const auto& o : outputs) {
    BOOST_TEST_CONTEXT(o.path) {
      BOOST_REQUIRE(fs::is_regular_file(o.path));
      listed.insert(fs::weakly_canonical(o.path));
      documents += o.documents;
      if (format == "pdf") {
        auto problems = qpdf_problems(o.path);
        BOOST_TEST(problems.empty(), problems);
        BOOST_TEST(o.pages >= o.documents);
      }
      auto markers = count_markers(output_text(o.path));
      BOOST_TEST(static_cast<int64_t>(markers.size()) == o.documents);
      merge_counts(seen, markers);
    }
  }
  BOOST_TEST(documents == records);
  auto problems = exactly_once_problems(seen, records);
  BOOST_TEST(problems.empty(), problems);

  // What a user who looks into the file store sees: only the listed outputs
  // are finished files; a file left by the killed attempt would be a
  // duplicate of records that are in a listed output.
  auto out_dir = fs::path(node.files_root()) / "jobs" / std::to_string(id) / "out";
  std::vector<std::string> unlisted, parts;
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() == ".part")
      parts.push_back(name);
    else if (!listed.count(fs::weakly_canonical(entry.path())))
      unlisted.push_back(name);
  }
  for (const auto& p : parts) BOOST_TEST_MESSAGE("left over from the killed node: " << p);
  BOOST_TEST(unlisted.empty(), "finished output files the job does not list: "
                                   << (unlisted.empty() ? "" : unlisted.front()) << " ("
                                   << unlisted.size() << " in all)");
}

/// Starts the node; kills it when the job reaches `kill_when` with at least
/// `min_done` batches of that phase done; restarts it; waits for the job to
/// finish; checks that it was resumed and the outputs; then runs a fresh job on
/// the restarted node.
void kill_and_restart(job_state kill_when, int min_done, const std::string& format,
                      int64_t split_every, const char* config = small_batches) {
  test_node node(config);
  std::string why;
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  auto id = submit_big_job(node, format, split_every);
  auto db = open_database(node);
  weft::storage::job_store store(*db);

  auto kill_phase = kill_when == job_state::weaving ? phase::weave : phase::merge;
  std::string seen_state;
  bool reached = wait_until(
      [&] {
        try {
          auto job = store.job(id);
          seen_state = weft::storage::to_string(job.state);
          if (weft::storage::finished(job.state)) return true;
          if (job.state != kill_when) return false;
          return store.progress(id, kill_phase).first >= min_done;
        } catch (const std::exception&) {
          return false;
        }
      },
      300s);
  BOOST_REQUIRE_MESSAGE(reached, "job " << id << " never got to " << to_string(kill_when)
                                        << "; last seen " << seen_state << "\n"
                                        << node.log());
  node.kill();
  BOOST_REQUIRE(!node.running());
  auto at_kill = describe(store, id);
  BOOST_TEST_MESSAGE("killed the node with SIGKILL; job " << id << " was " << at_kill);
  BOOST_REQUIRE_MESSAGE(store.job(id).state == kill_when,
                        "the job was not " << to_string(kill_when) << " when the node was killed ("
                                           << at_kill << "): make the job larger");
  // What was done before the kill, batch by batch with its attempt.
  const auto done_at_kill = done_batches(*db, id);

  auto t0 = std::chrono::steady_clock::now();
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  auto state = wait_for_the_end(store, id, 600s);
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("after the restart job " << id << " ended in " << took
                                              << " s: " << describe(store, id));
  BOOST_REQUIRE_MESSAGE(state == job_state::done, "job " << id << " " << describe(store, id)
                                                         << "\nnode log:\n"
                                                         << node.log());
  // Resumed, not started over: every batch done before the kill is still done in
  // the same attempt (a job mapped again would have new batches, all in attempt 1
  // again but none of them done before the restart).
  if (kill_when != job_state::mapping) {
    BOOST_TEST(!done_at_kill.empty());
    const auto done_now = done_batches(*db, id);
    for (const auto& b : done_at_kill) BOOST_TEST(done_now.count(b) == 1u, b << " was not kept");
  } else if (min_done > 0) {
    // Mapped again: the batches merged while the first mapping ran are gone with it, and
    // every batch of the new mapping has an attempt above theirs (a result of the old
    // ones would be refused).
    BOOST_TEST(done_at_kill.size() >= static_cast<std::size_t>(min_done));
    for (const auto& b : store.batches(id, phase::merge))
      BOOST_TEST(b.attempt >= 2, "merge batch " << b.batch_no << " attempt " << b.attempt);
  }

  int64_t expected_files = (records + split_every - 1) / split_every;
  check_outputs(node, store, id, format, expected_files);

  auto problems = good_job_problems(node);
  BOOST_TEST(problems.empty(), problems);
  auto code = node.stop();
  BOOST_TEST((code && *code == 0), "the restarted node did not stop cleanly: " << node.log());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_node_killed_while_merging_finishes_the_job_after_restart_exactly_once) {
  kill_and_restart(job_state::merging, 5, "txt", 5000);
}

BOOST_AUTO_TEST_CASE(a_node_killed_while_weaving_pdf_finishes_the_job_after_restart_exactly_once) {
  kill_and_restart(job_state::weaving, 2, "pdf", 1000);
}

BOOST_AUTO_TEST_CASE(a_node_killed_while_mapping_maps_again_after_restart_exactly_once) {
  kill_and_restart(job_state::mapping, 0, "txt", 10000);
}

// Merging overlaps mapping (issue 15): the node is killed while the job still maps and
// merge batches of it are done already; after the restart it is mapped again, under new
// attempts, and every record is in the outputs exactly once.
BOOST_AUTO_TEST_CASE(a_node_killed_while_mapping_after_batches_were_merged_maps_again_once) {
  kill_and_restart(job_state::mapping, 2, "txt", 10000, small_batches_merged_while_mapping);
}

// A crash during a job does not lose the jobs after it: a job submitted after
// the restart and the resumed job both finish.
BOOST_AUTO_TEST_CASE(a_job_submitted_right_after_the_restart_runs_beside_the_resumed_one) {
  test_node node(small_batches);
  std::string why;
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  auto first = submit_big_job(node, "txt", 10000);
  {
    // Killed once it is merging (its merge batches exist).
    auto db = open_database(node);
    weft::storage::job_store store(*db);
    BOOST_REQUIRE_MESSAGE(wait_until(
                              [&] {
                                try {
                                  auto state = store.job(first).state;
                                  return state == job_state::merging ||
                                         weft::storage::finished(state);
                                } catch (const std::exception&) {
                                  return false;  // busy database: ask again
                                }
                              },
                              300s),
                          node.log());
    BOOST_REQUIRE(store.job(first).state == job_state::merging);
  }
  node.kill();
  BOOST_REQUIRE_MESSAGE(node.start(why), why);
  auto problems = good_job_problems(node);
  BOOST_TEST(problems.empty(), problems);
  auto db = open_database(node);
  weft::storage::job_store store(*db);
  auto state = wait_for_the_end(store, first, 600s);
  BOOST_TEST((state == job_state::done), describe(store, first));
  node.stop();
}
