// The database sweep and the orphan-file sweep on both backends (cleanup_sweep_sqlite,
// cleanup_sweep_mariadb): retention at its boundary on the database clock, running jobs
// never touched, batch_size respected, early stop; orphans of dead attempts removed while
// files of live jobs and young files stay; sweeps left running by dead holders marked
// abandoned.

#define BOOST_TEST_MODULE cleanup_sweep
#include <fcntl.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "storage/database_sweeper.hpp"
#include "storage/filestore/directory.hpp"
#include "storage/job_store.hpp"
#include "storage/orphan_sweeper.hpp"
#include "storage/sweep_store.hpp"
#include "tests/storage/backend_fixture.hpp"

using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;
namespace fs = std::filesystem;

namespace {

void exec(database& db, const std::string& sql) {
  detail::with_session(db, [&](soci::session& s) { s << sql; });
}

/// A job with `records` records, `batches` merge batches with a content row each (of
/// which `contents` exist) and `outputs` output rows, in `state`.
int64_t make_job(database& db, int64_t records, int batches, int contents, int outputs,
                 job_state state, const std::string& root = "/files") {
  job_store store(db);
  new_job j;
  j.template_path = "t";
  j.data_path = "d";
  j.data_format = "csv";
  j.options_json = "{}";
  const auto id = store.create_job(j);
  const std::string dir = root + "/jobs/" + std::to_string(id);
  store.set_paths(id, dir + "/input/t.mustache", dir + "/input/d.csv");
  std::vector<record_row> rows;
  for (int64_t i = 1; i <= records; ++i) rows.push_back({i, "{\"n\":" + std::to_string(i) + "}"});
  if (!rows.empty()) store.insert_records(id, rows);
  std::vector<batch_row> plan;
  for (int b = 0; b < batches; ++b) {
    batch_row r;
    r.batch_no = b;
    r.first_seq = b * records / batches + 1;
    r.last_seq = (b + 1) * records / batches;
    plan.push_back(r);
  }
  store.finish_mapping(id, records, plan);
  for (int b = 0; b < contents; ++b) {
    store.set_attempt(id, phase::merge, b, 1);
    content_row c;
    c.job_id = id;
    c.batch_no = b;
    c.attempt = 1;
    c.path = dir + "/content/m" + std::to_string(b) + ".a1.bin";
    BOOST_REQUIRE(store.complete_merge(c, "e", "n"));
  }
  const auto now = detail::sql_now(db.backend());
  for (int o = 0; o < outputs; ++o) {
    exec(db, "INSERT INTO outputs (job_id, segment_no, path, format, created_at) VALUES (" +
                 std::to_string(id) + ", " + std::to_string(o) + ", '" + dir + "/out/job-000" +
                 std::to_string(o + 1) + ".pdf', 'pdf', " + now + ")");
  }
  if (state != job_state::merging) store.set_state(id, state);
  return id;
}

/// Sets a job's finished_at to the database's now + offset.
void finished_at(database& db, int64_t id, std::chrono::milliseconds offset) {
  exec(db, "UPDATE jobs SET finished_at = " + detail::sql_now_plus(db.backend(), offset) +
               " WHERE id = " + std::to_string(id));
}

long long rows_of(database& db, const std::string& table, int64_t job) {
  return count_rows(db, "SELECT COUNT(*) FROM " + table + " WHERE " +
                            (table == "jobs" ? "id" : "job_id") + " = " + std::to_string(job));
}

bool always() { return true; }

/// The sweeps here pause after each transaction as long as it took.
constexpr double pause_ratio = 1.0;

retention_policy policy(std::chrono::milliseconds jobs, int batch_size = 1000) {
  return retention_policy(jobs, jobs, jobs, batch_size, pause_ratio);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(database_sweep)

BOOST_AUTO_TEST_CASE(retention_is_respected_at_its_boundary) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto old_job = make_job(*db, 20, 2, 2, 1, job_state::done);
  const auto young_job = make_job(*db, 20, 2, 2, 1, job_state::failed);
  finished_at(*db, old_job, -(1h + 3s));    // just past the limit
  finished_at(*db, young_job, -(1h - 3s));  // just inside it
  sweep_counts counts;
  BOOST_TEST(database_sweeper(*db, policy(1h)).run(counts, always));
  BOOST_TEST(counts.jobs == 1);
  BOOST_TEST(counts.records == 20);
  BOOST_TEST(counts.batches == 2);
  BOOST_TEST(counts.content == 2);
  BOOST_TEST(counts.outputs == 1);
  for (const char* t : {"jobs", "records", "batches", "content", "outputs"}) {
    BOOST_TEST(rows_of(*db, t, old_job) == 0, t);
    BOOST_TEST(rows_of(*db, t, young_job) > 0, t);
  }
}

BOOST_AUTO_TEST_CASE(a_running_job_is_never_swept) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto merging = make_job(*db, 10, 2, 1, 1, job_state::merging);
  const auto queued = job_store(*db).create_job(new_job{"pdf", "t", "d", "csv", "{}", ""});
  // Even with a finished_at far in the past (a bug elsewhere must not lose work).
  finished_at(*db, merging, -(100h));
  finished_at(*db, queued, -(100h));
  sweep_counts counts;
  BOOST_TEST(database_sweeper(*db, policy(1ms)).run(counts, always));
  BOOST_TEST(counts.jobs + counts.records + counts.batches + counts.content + counts.outputs == 0);
  BOOST_TEST(rows_of(*db, "records", merging) == 10);
  BOOST_TEST(rows_of(*db, "content", merging) == 1);
  BOOST_TEST(rows_of(*db, "jobs", queued) == 1);
}

BOOST_AUTO_TEST_CASE(transactions_hold_at_most_batch_size_rows_and_everything_goes) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto big = make_job(*db, 2500, 7, 3, 2, job_state::done);  // 2500+7+3+2+1 = 2513 rows
  finished_at(*db, big, -2h);
  sweep_counts counts;
  BOOST_TEST(database_sweeper(*db, policy(1h, 100)).run(counts, always));
  BOOST_TEST(counts.records == 2500);
  BOOST_TEST(counts.jobs == 1);
  // Every transaction but the last deletes exactly batch_size rows.
  BOOST_TEST(counts.transactions == 26);
  for (const char* t : {"jobs", "records", "batches", "content", "outputs"})
    BOOST_TEST(rows_of(*db, t, big) == 0, t);

  // Many small jobs share transactions.
  for (int i = 0; i < 50; ++i) finished_at(*db, make_job(*db, 1, 1, 0, 0, job_state::done), -2h);
  sweep_counts small;  // 50 x (1 record + 1 batch + 1 job) = 150 rows
  BOOST_TEST(database_sweeper(*db, policy(1h, 10)).run(small, always));
  BOOST_TEST(small.jobs == 50);
  BOOST_TEST(small.transactions == 15);
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM records") == 0);
}

BOOST_AUTO_TEST_CASE(records_with_gaps_in_their_keys_go_in_transactions_of_batch_size_rows) {
  fresh_database fresh;
  auto db = fresh.open();
  // Deleted by key ranges: the ranges follow the keys that exist, whatever the gaps.
  const auto job = make_job(*db, 0, 0, 0, 0, job_state::done);
  exec(*db, "INSERT INTO records (job_id, seq, body) VALUES (" + std::to_string(job) +
                ", 3, 'a'), (" + std::to_string(job) + ", 10, 'b'), (" + std::to_string(job) +
                ", 11, 'c'), (" + std::to_string(job) + ", 500, 'd'), (" + std::to_string(job) +
                ", 70000, 'e'), (" + std::to_string(job) + ", 1099511627776, 'f')");
  const auto other = make_job(*db, 3, 1, 0, 0, job_state::done);  // not old enough: stays
  finished_at(*db, job, -2h);
  sweep_counts counts;
  BOOST_TEST(database_sweeper(*db, policy(1h, 4)).run(counts, always));
  BOOST_TEST(counts.records == 6);
  BOOST_TEST(counts.jobs == 1);
  BOOST_TEST(counts.transactions == 2);  // 4 records; 2 records and the job
  BOOST_TEST(rows_of(*db, "records", job) == 0);
  BOOST_TEST(rows_of(*db, "jobs", job) == 0);
  BOOST_TEST(rows_of(*db, "records", other) == 3);
}

BOOST_AUTO_TEST_CASE(content_and_outputs_have_their_own_retention) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto job = make_job(*db, 10, 2, 2, 2, job_state::done);
  finished_at(*db, job, -2h);
  const retention_policy p(24h, 1h, 3h, 1000, pause_ratio);
  sweep_counts counts;
  BOOST_TEST(database_sweeper(*db, p).run(counts, always));
  BOOST_TEST(counts.content == 2);
  BOOST_TEST(counts.outputs == 0);
  BOOST_TEST(counts.jobs == 0);
  BOOST_TEST(rows_of(*db, "content", job) == 0);
  BOOST_TEST(rows_of(*db, "outputs", job) == 2);
  BOOST_TEST(rows_of(*db, "records", job) == 10);
}

BOOST_AUTO_TEST_CASE(a_sweep_stops_when_asked_and_the_next_one_finishes) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto job = make_job(*db, 500, 1, 0, 0, job_state::cancelled);
  finished_at(*db, job, -2h);
  int calls = 0;
  sweep_counts counts;
  BOOST_TEST(!database_sweeper(*db, policy(1h, 100)).run(counts, [&] { return ++calls <= 3; }));
  BOOST_TEST(counts.records == 200);  // one select, then two transactions
  BOOST_TEST(rows_of(*db, "jobs", job) == 1);
  BOOST_TEST(database_sweeper(*db, policy(1h, 100)).run(counts, always));
  BOOST_TEST(counts.records == 500);
  BOOST_TEST(rows_of(*db, "jobs", job) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// -- the sweep history ------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(sweep_history)

BOOST_AUTO_TEST_CASE(sweeps_left_running_under_an_older_token_are_marked_abandoned) {
  fresh_database fresh;
  auto db = fresh.open();
  sweep_store sweeps(*db);
  const auto dead = sweeps.begin("ext1", 3);  // its node was killed mid-sweep
  const auto ended = sweeps.begin("ext2", 4);
  sweeps.finish(ended, sweep_counts{}, "done", "");
  const auto current = sweeps.begin("master", 5);  // a sweep under the token just taken

  const auto marked = sweeps.abandon_older(5, "master");
  BOOST_TEST_REQUIRE(marked.size() == 1u);
  BOOST_TEST(marked[0].id == dead);
  BOOST_TEST(marked[0].node == "ext1");
  const auto row = sweeps.sweep(dead);
  BOOST_TEST(row.status == "abandoned");
  BOOST_TEST(row.finished_at.empty());  // when it stopped is not known
  BOOST_TEST(row.error.find("token 5 on master") != std::string::npos, row.error);
  BOOST_TEST(sweeps.sweep(ended).status == "done");
  BOOST_TEST(sweeps.sweep(current).status == "running");
  BOOST_TEST(sweeps.abandon_older(5, "master").empty());  // once only

  // A stalled holder that does reach its end still records what it did.
  sweep_counts late;
  late.records = 7;
  sweeps.finish(dead, late, "lost_lease", "");
  BOOST_TEST(sweeps.sweep(dead).status == "lost_lease");
  BOOST_TEST(sweeps.sweep(dead).counts.records == 7);
}

BOOST_AUTO_TEST_SUITE_END()

// -- the orphan-file sweep -------------------------------------------------------------

namespace {

struct file_store {
  fs::path root;
  file_store() {
    root = fs::path(WEFT_BINARY_DIR) / "tests" / "cleanup-tmp" /
           ("files_" + std::to_string(::getpid()) + "_" + std::to_string(next_database_number()));
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~file_store() { fs::remove_all(root); }

  /// Writes `bytes` bytes at `rel` and backdates it by `age`.
  fs::path put(const std::string& rel, std::size_t bytes, std::chrono::seconds age) {
    const auto p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << std::string(bytes, 'x');
    backdate(p, age);
    return p;
  }
  static void backdate(const fs::path& p, std::chrono::seconds age) {
    timespec times[2];
    times[0].tv_sec = times[1].tv_sec = ::time(nullptr) - age.count();
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(orphan_sweep)

BOOST_AUTO_TEST_CASE(orphans_of_dead_attempts_go_and_files_of_live_jobs_and_young_files_stay) {
  fresh_database fresh;
  auto db = fresh.open();
  file_store files;
  const auto root = files.root.string();
  job_store store(*db);
  const auto old = 2h;

  // A job still merging: batch 0 was re-run (attempt 2) after its node died.
  const auto live = make_job(*db, 10, 2, 0, 0, job_state::merging, root);
  store.set_attempt(live, phase::merge, 0, 2);
  const std::string L = "jobs/" + std::to_string(live) + "/";
  files.put(L + "input/t.mustache", 10, old);
  files.put(L + "input/partial.mustache", 10, old);  // no row names it: inputs stay anyway
  const auto dead = files.put(L + "content/m0.a1.bin", 100, old);
  const auto dead_part = files.put(L + "content/m0.a1.bin.part", 50, old);
  const auto current_part = files.put(L + "content/m0.a2.bin.part", 70, old);
  const auto other_batch = files.put(L + "content/m1.a1.bin.part", 70, old);  // current attempt
  const auto young_dead = files.put(L + "content/m0.a1.extra.bin", 5, 0s);
  const auto strange = files.put(L + "content/notes.txt", 5, old);

  // A finished job: its referenced content stays, a losing attempt's file goes.
  const auto done = make_job(*db, 10, 1, 1, 1, job_state::done, root);
  const std::string D = "jobs/" + std::to_string(done) + "/";
  const auto referenced = files.put(D + "content/m0.a1.bin", 100, old);
  const auto output = files.put(D + "out/job-0001.pdf", 100, old);
  const auto loser = files.put(D + "content/m0.a2.bin", 30, old);
  const auto done_input = files.put(D + "input/d.csv", 30, old);

  // A job whose row is gone (deleted by the database sweep): all of it goes, once old.
  const auto gone = files.put("jobs/900/content/m0.a1.bin", 40, old);
  files.put("jobs/900/input/d.csv", 60, old);
  const auto gone_young = files.put("jobs/901/input/d.csv", 60, 0s);

  // Uploads of sessions that ended badly; a fresh one stays.
  const auto stale_upload = files.put("uploads/abc/data.csv", 20, old);
  file_store::backdate(files.root / "uploads" / "abc", old);  // an empty young one would stay
  const auto fresh_upload = files.put("uploads/def/data.csv", 20, 0s);

  // Nothing else under the root is touched, and no link is followed.
  const auto outside = files.put("weft.db", 10, old);
  const auto target_dir = files.root.parent_path() / ("target_" + std::to_string(::getpid()));
  fs::create_directories(target_dir);
  std::ofstream(target_dir / "keep.txt") << "keep";
  fs::create_directory_symlink(target_dir, files.root / "jobs" / "902");
  fs::create_symlink(target_dir / "keep.txt", files.root / "jobs" / "900" / "link");
  file_store::backdate(files.root / "jobs" / "900" / "link", old);

  sweep_counts counts;
  BOOST_TEST(orphan_sweeper(*db, root, 1h).run(counts, always));

  for (const auto& p : {dead, dead_part, loser, gone, stale_upload})
    BOOST_TEST(!fs::exists(fs::symlink_status(p)), p.string() << " should be removed");
  for (const auto& p : {current_part, other_batch, young_dead, strange, referenced, output,
                        done_input, gone_young, fresh_upload, outside})
    BOOST_TEST(fs::exists(p), p.string() << " should stay");
  BOOST_TEST(fs::exists(files.root / L / "input" / "partial.mustache"));
  BOOST_TEST(!fs::exists(fs::symlink_status(files.root / "jobs" / "900")));  // emptied, removed
  BOOST_TEST(!fs::exists(files.root / "uploads" / "abc"));
  BOOST_TEST(fs::exists(target_dir / "keep.txt"));  // links were never followed
  BOOST_TEST(counts.files == 7);  // dead, dead_part, loser, the upload, 2 in jobs/900, the link
  BOOST_TEST(counts.bytes == 100 + 50 + 30 + 40 + 60 + 20);
  BOOST_TEST(counts.file_errors == 0);
  fs::remove(files.root / "jobs" / "902");
  fs::remove_all(target_dir);
}

BOOST_AUTO_TEST_CASE(directories_a_killed_sweep_emptied_go_when_their_job_is_gone) {
  fresh_database fresh;
  auto db = fresh.open();
  file_store files;
  const auto live = make_job(*db, 1, 1, 0, 0, job_state::done, files.root.string());
  // A sweep removed the files of jobs/903 and died before its directories (young: it had
  // just emptied them). The job of the other one exists: its directories stay.
  for (const auto& d : {std::string{"903"}, std::to_string(live)})
    fs::create_directories(files.root / "jobs" / d / "content" / "deep");
  sweep_counts counts;
  BOOST_TEST(orphan_sweeper(*db, files.root.string(), 1h).run(counts, always));
  BOOST_TEST(!fs::exists(files.root / "jobs" / "903"));
  BOOST_TEST(fs::exists(files.root / "jobs" / std::to_string(live) / "content" / "deep"));
  BOOST_TEST(counts.files == 0);
}

BOOST_AUTO_TEST_CASE(the_walk_stops_when_asked) {
  fresh_database fresh;
  auto db = fresh.open();
  file_store files;
  for (int i = 0; i < 10; ++i) files.put("jobs/" + std::to_string(800 + i) + "/x", 1, 2h);
  sweep_counts counts;
  int calls = 0;
  BOOST_TEST(
      !orphan_sweeper(*db, files.root.string(), 1h).run(counts, [&] { return ++calls <= 3; }));
  BOOST_TEST(counts.files == 3);
  BOOST_TEST(orphan_sweeper(*db, files.root.string(), 1h).run(counts, always));
  BOOST_TEST(counts.files == 10);
}

BOOST_AUTO_TEST_CASE(links_planted_below_the_root_are_never_followed) {
  fresh_database fresh;
  auto db = fresh.open();
  file_store files;
  const auto old = 2h;
  // Outside the root: files named exactly like orphans, old enough to go.
  const auto outside = files.root.parent_path() / ("outside_" + std::to_string(::getpid()));
  fs::create_directories(outside / "content");
  for (const auto& f : {"m0.a1.bin", "data.csv"}) {
    std::ofstream(outside / "content" / f) << "keep";
    file_store::backdate(outside / "content" / f, old);
  }
  // A job whose row is gone, whose content/ is a link out of the root; an upload area that
  // is a link; a link in place of the uploads folder's file; the jobs folder of another
  // root linked in as a job.
  files.put("jobs/910/input/d.csv", 10, old);
  fs::create_directory_symlink(outside / "content", files.root / "jobs" / "910" / "content");
  fs::create_directories(files.root / "uploads");
  fs::create_directory_symlink(outside / "content", files.root / "uploads" / "linked");
  fs::create_symlink(outside / "content" / "data.csv", files.root / "uploads" / "file-link");
  fs::create_directory_symlink(outside, files.root / "jobs" / "911");

  sweep_counts counts;
  BOOST_TEST(orphan_sweeper(*db, files.root.string(), 1h).run(counts, always));
  BOOST_TEST(fs::exists(outside / "content" / "m0.a1.bin"));
  BOOST_TEST(fs::exists(outside / "content" / "data.csv"));
  BOOST_TEST(!fs::exists(files.root / "jobs" / "910" / "input" / "d.csv"));
  fs::remove_all(outside);
}

BOOST_AUTO_TEST_CASE(a_directory_swapped_for_a_link_during_the_sweep_is_not_followed) {
  fresh_database fresh;
  auto db = fresh.open();
  file_store files;
  const auto old = 2h;
  // Outside the root, files named like the orphans of job 940 (whose row is gone).
  const auto outside = files.root.parent_path() / ("swapped_" + std::to_string(::getpid()));
  fs::create_directories(outside);
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    const auto name = "c" + std::to_string(1000 + i);
    files.put("jobs/940/content/" + name, 10, old);
    std::ofstream(outside / name) << "keep";
    file_store::backdate(outside / name, old);
  }
  // Job 941's content folder becomes a link before the sweep reaches it.
  files.put("jobs/941/content/c1000", 10, old);
  // keep_going is asked before each job and every 64 entries: the second question comes
  // while job 940's content folder is being walked. Then both folders are swapped for
  // links out of the root (940's original is moved aside, still below the root).
  int calls = 0;
  auto swap_mid_walk = [&] {
    if (++calls == 2) {
      const auto content = files.root / "jobs" / "940" / "content";
      fs::rename(content, files.root / "jobs" / "940" / "moved");
      fs::create_directory_symlink(outside, content);
      fs::remove_all(files.root / "jobs" / "941" / "content");
      fs::create_directory_symlink(outside, files.root / "jobs" / "941" / "content");
    }
    return true;
  };
  sweep_counts counts;
  BOOST_TEST(orphan_sweeper(*db, files.root.string(), 1h).run(counts, swap_mid_walk));
  BOOST_TEST(calls >= 2);
  int kept = 0;
  for (int i = 0; i < n; ++i) kept += fs::exists(outside / ("c" + std::to_string(1000 + i)));
  BOOST_TEST(kept == n);
  fs::remove_all(outside);
}

BOOST_AUTO_TEST_CASE(a_job_folder_planted_as_a_link_is_refused_when_a_job_is_created) {
  file_store files;
  const auto outside = files.root.parent_path() / ("planted_" + std::to_string(::getpid()));
  fs::create_directories(outside);
  fs::create_directories(files.root / "jobs");
  fs::create_directory_symlink(outside, files.root / "jobs" / "930");
  BOOST_CHECK_EXCEPTION(weft::filestore::make_directories(files.root.string(), "jobs/930/input"),
                        std::runtime_error, [](const std::runtime_error& e) {
                          return std::string(e.what()).find("930") != std::string::npos &&
                                 std::string(e.what()).find("link") != std::string::npos;
                        });
  BOOST_TEST(!fs::exists(outside / "input"));
  // A folder made properly is returned open and exists.
  auto dir = weft::filestore::make_directories(files.root.string(), "jobs/931/input");
  BOOST_TEST(dir.fd() >= 0);
  BOOST_TEST(fs::is_directory(files.root / "jobs" / "931" / "input"));
  fs::remove_all(outside);
}

BOOST_AUTO_TEST_SUITE_END()
