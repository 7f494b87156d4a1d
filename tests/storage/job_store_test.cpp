// The job store on both backends: one suite, two CTest entries
// (job_store_sqlite, job_store_mariadb), a fresh database per case
// (backend_fixture.hpp). The fence cases check that a batch's result is
// taken exactly once, from its current attempt, while its job still runs.

#define BOOST_TEST_MODULE job_store
#include "storage/job_store.hpp"

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/detail/session.hpp"
#include "storage/master_store.hpp"
#include "storage/short_read.hpp"
#include "tests/storage/backend_fixture.hpp"

using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;

namespace {

new_job sample_job(const std::string& name) {
  new_job j;
  j.format = "pdf";
  j.template_path = "files/" + name + "/letter.mustache";
  j.data_path = "files/" + name + "/data.csv";
  j.data_format = "csv";
  j.options_json = R"({"name":")" + name + R"(","sort_by":"city"})";
  return j;
}

/// Consecutive record ranges of `size` records, numbered from 0, as the
/// scheduler plans them.
std::vector<batch_row> plan(int64_t job, phase p, int64_t records, int64_t size) {
  std::vector<batch_row> out;
  int n = 0;
  for (int64_t first = 1; first <= records; first += size) {
    batch_row b;
    b.job_id = job;
    b.phase = p;
    b.batch_no = n++;
    b.first_seq = first;
    b.last_seq = std::min(records, first + size - 1);
    b.attempt = 1;
    out.push_back(b);
  }
  return out;
}

/// A job in `merging` with `records` records cut into batches of `size`.
int64_t merging_job(job_store& store, int64_t records, int64_t size) {
  const int64_t id = store.create_job(sample_job("merging"));
  BOOST_REQUIRE(store.set_state(id, job_state::mapping));
  store.finish_mapping(id, records, plan(id, phase::merge, records, size));
  BOOST_REQUIRE((store.job(id).state == job_state::merging));
  return id;
}

content_row content_of(const batch_row& b, int attempt, const std::string& engine) {
  content_row c;
  c.job_id = b.job_id;
  c.batch_no = b.batch_no;
  c.attempt = attempt;
  c.path = "jobs/" + std::to_string(b.job_id) + "/content/m" + std::to_string(b.batch_no) + ".a" +
           std::to_string(attempt) + "." + engine;
  c.bytes = 1000 + b.batch_no;
  c.records = b.last_seq - b.first_seq + 1;
  return c;
}

output_row output_of(const batch_row& b, const std::string& engine) {
  output_row o;
  o.job_id = b.job_id;
  o.segment_no = b.batch_no;
  o.path = "jobs/" + std::to_string(b.job_id) + "/out/part-" + std::to_string(b.batch_no) + "." +
           engine + ".pdf";
  o.format = "pdf";
  o.documents = b.last_seq - b.first_seq + 1;
  o.pages = 2 * o.documents;
  o.bytes = 5000 + b.batch_no;
  return o;
}

/// A job moved on to `weaving` with its merge batches done and `segments`
/// weave segments of `size` records.
int64_t weaving_job(job_store& store, int64_t records, int64_t size) {
  const int64_t id = merging_job(store, records, records);
  for (const auto& b : store.open_batches(id, phase::merge))
    BOOST_REQUIRE(store.complete_merge(content_of(b, b.attempt, "m"), "m", "n1"));
  store.start_weaving(id, plan(id, phase::weave, records, size));
  BOOST_REQUIRE((store.job(id).state == job_state::weaving));
  return id;
}

std::string batch_column(database& db, int64_t job, phase p, int batch_no,
                         const std::string& column) {
  return detail::with_session(db, [&](soci::session& s) {
    std::string value;
    long long jid = job, no = batch_no;
    std::string ph = to_string(p);
    s << "SELECT COALESCE(CAST(" + column +
             " AS CHAR), '') FROM batches WHERE job_id = :j AND phase = :p AND batch_no = :b",
        soci::use(jid, "j"), soci::use(ph, "p"), soci::use(no, "b"), soci::into(value);
    return value;
  });
}

long long rows_of_job(database& db, const std::string& table, int64_t job) {
  return count_rows(db, "SELECT COUNT(*) FROM " + table + " WHERE job_id = " + std::to_string(job));
}

/// The outcome of one racer: accepted or not, or the error it met.
struct outcome {
  bool accepted = false;
  std::string error;
};

/// Runs every callable on its own thread and releases them at the same
/// moment (all threads started and spinning first).
std::vector<outcome> race(const std::vector<std::function<bool()>>& racers) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<outcome> out(racers.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < racers.size(); ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      try {
        out[i].accepted = racers[i]();
      } catch (const std::exception& e) {
        out[i].error = e.what();
      }
    });
  }
  while (ready.load() < static_cast<int>(racers.size())) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
  return out;
}

std::string record_body(int64_t seq) {
  // Quotes of both kinds, a backslash, a newline, multi-byte UTF-8 (2, 3 and
  // 4 bytes) and a value that looks like SQL.
  return R"({"seq":)" + std::to_string(seq) + R"(,"name":"O'Brien \"Bob\" )" + std::to_string(seq) +
         R"(","city":"Zürich – 東京 🚀","note":"a\\b\nc'); DROP TABLE jobs; --"})";
}

}  // namespace

// -- jobs ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(creates_a_job_and_reads_it_back) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  auto spec = sample_job("ünïcode 'quoted'");
  const int64_t id = store.create_job(spec);
  BOOST_TEST(id > 0);
  auto row = store.job(id);
  BOOST_TEST(row.id == id);
  BOOST_TEST((row.state == job_state::queued));
  BOOST_TEST(row.format == spec.format);
  BOOST_TEST(row.template_path == spec.template_path);
  BOOST_TEST(row.data_path == spec.data_path);
  BOOST_TEST(row.data_format == spec.data_format);
  BOOST_TEST(row.options_json == spec.options_json);
  BOOST_TEST(row.job_class == "");
  BOOST_TEST(row.record_count == 0);
  BOOST_TEST(row.batch_count == 0);
  BOOST_TEST(row.error == "");
  BOOST_TEST(!row.submitted_at.empty());
  BOOST_TEST(row.started_at == "");
  BOOST_TEST(row.finished_at == "");
  // The database clock, UTC.
  const auto skew = detail::parse_timestamp(row.submitted_at) - std::chrono::system_clock::now();
  BOOST_TEST((skew < 5s && skew > -5s), row.submitted_at);

  store.set_class(id, "small", "3");
  store.set_paths(id, "t2", "d2");
  row = store.job(id);
  BOOST_TEST(row.job_class == "small");
  BOOST_TEST(row.granted_engines == "3");
  BOOST_TEST(row.template_path == "t2");
  BOOST_TEST(row.data_path == "d2");
}

// Issue 15: the master's scan for queued jobs (another connection) runs in the middle of
// a submission, every time: it must not see the job before its inputs are in place.
BOOST_AUTO_TEST_CASE(a_job_is_not_seen_queued_before_its_inputs_are_in_place) {
  fresh_database fresh;
  auto db = fresh.open();
  auto scanner_db = fresh.open();  // the scheduler's store worker has its own connection
  job_store store(*db), scanner(*scanner_db);
  new_job j = sample_job("placed");
  j.template_path.clear();
  j.data_path.clear();
  std::vector<std::size_t> queued_during;
  int64_t placed_for = 0;
  const int64_t id = store.create_job(j, [&](int64_t new_id) {
    placed_for = new_id;
    queued_during.push_back(scanner.jobs(job_state::queued, 100).size());
    return job_store::input_paths{"in/" + std::to_string(new_id) + "/t.mustache",
                                  "in/" + std::to_string(new_id) + "/d.csv"};
  });
  BOOST_TEST(placed_for == id);
  BOOST_TEST(queued_during == std::vector<std::size_t>{0});
  auto rows = scanner.jobs(job_state::queued, 100);
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].id == id);
  BOOST_TEST(rows[0].data_path == "in/" + std::to_string(id) + "/d.csv");
  BOOST_TEST(rows[0].template_path == "in/" + std::to_string(id) + "/t.mustache");
}

// A small data file mapped at submission: its records and report commit with the row, in the
// same transaction (the scanner on another connection sees neither before), and the job stays
// queued until its plan is stored.
BOOST_AUTO_TEST_CASE(records_mapped_at_submission_commit_with_the_row) {
  fresh_database fresh;
  auto db = fresh.open();
  auto scanner_db = fresh.open();
  job_store store(*db), scanner(*scanner_db);
  job_store::mapped_records mapped;
  mapped.records = {{1, R"({"id":1})"}, {2, R"({"id":2})"}, {3, R"({"id":3})"}};
  mapped.report_json = R"({"format":"NDJSON"})";
  std::vector<std::size_t> records_during;
  const int64_t id = store.create_job(
      sample_job("inline"),
      [&](int64_t new_id) {
        records_during.push_back(scanner.records(new_id, 1, 3).size());
        return job_store::input_paths{"in/t.mustache", "in/d.ndjson"};
      },
      &mapped);
  BOOST_TEST(records_during == std::vector<std::size_t>{0});
  auto rows = scanner.records(id, 1, 3);
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_TEST(rows[2].seq == 3);
  BOOST_TEST(rows[2].body == R"({"id":3})");
  BOOST_TEST(scanner.mapping_report(id) == mapped.report_json);
  BOOST_TEST((scanner.job(id).state == job_state::queued));
  // a mapper that maps it again (a master that resumed or adopted it) starts from nothing
  store.reset_mapping(id);
  BOOST_TEST(scanner.records(id, 1, 3).empty());
  BOOST_TEST(scanner.mapping_report(id).empty());
}

BOOST_AUTO_TEST_CASE(a_submission_whose_inputs_cannot_be_placed_creates_no_job) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  BOOST_CHECK_THROW(store.create_job(sample_job("unplaced"),
                                     [](int64_t) -> job_store::input_paths {
                                       throw std::runtime_error("disk full");
                                     }),
                    std::runtime_error);
  BOOST_TEST(store.jobs(std::nullopt, 100).empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_job_is_not_found) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  auto e = expect_storage_error([&] { store.job(4242); });
  BOOST_TEST((e.code == errc::not_found), e.what());
  BOOST_TEST(std::string(e.what()).find("4242") != std::string::npos, e.what());
  BOOST_TEST(!store.set_state(4242, job_state::mapping));
}

BOOST_AUTO_TEST_CASE(lists_jobs_newest_first_by_state_and_limit) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(store.create_job(sample_job("j" + std::to_string(i))));
  BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
  BOOST_TEST(store.set_state(ids[1], job_state::mapping));
  BOOST_TEST(store.set_state(ids[2], job_state::done));
  BOOST_TEST(store.set_state(ids[3], job_state::failed, "template: line 3: unclosed section"));
  BOOST_TEST(store.set_state(ids[4], job_state::cancelled));

  auto ids_of = [](const std::vector<job_row>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  const std::vector<int64_t> all = ids_of(store.jobs(std::nullopt, 0));
  BOOST_TEST(all == (std::vector<int64_t>{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}),
             boost::test_tools::per_element());
  const std::vector<int64_t> first_two = ids_of(store.jobs(std::nullopt, 2));
  BOOST_TEST(first_two == (std::vector<int64_t>{ids[5], ids[4]}), boost::test_tools::per_element());
  const std::vector<int64_t> queued = ids_of(store.jobs(job_state::queued, 0));
  BOOST_TEST(queued == (std::vector<int64_t>{ids[5], ids[0]}), boost::test_tools::per_element());
  const std::vector<int64_t> queued1 = ids_of(store.jobs(job_state::queued, 1));
  BOOST_TEST(queued1 == (std::vector<int64_t>{ids[5]}), boost::test_tools::per_element());
  BOOST_TEST(store.jobs(job_state::weaving, 10).empty());
  auto failed = store.jobs(job_state::failed, 0);
  BOOST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].error == "template: line 3: unclosed section");

  // Unfinished: oldest first, without done, failed and cancelled ones.
  const std::vector<int64_t> unfinished = ids_of(store.unfinished_jobs());
  BOOST_TEST(unfinished == (std::vector<int64_t>{ids[0], ids[1], ids[5]}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(lists_more_jobs_than_one_fetch_chunk) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  for (int i = 0; i < 450; ++i) store.create_job(sample_job("many" + std::to_string(i)));
  auto all = store.jobs(std::nullopt, 0);
  BOOST_TEST(all.size() == 450u);
  BOOST_TEST(std::is_sorted(all.begin(), all.end(),
                            [](const job_row& a, const job_row& b) { return a.id > b.id; }));
  BOOST_TEST(store.unfinished_jobs().size() == 450u);
  BOOST_TEST(store.jobs(job_state::queued, 201).size() == 201u);
}

BOOST_AUTO_TEST_CASE(set_state_never_moves_a_finished_job) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("a"));
  BOOST_TEST(store.set_state(id, job_state::mapping));
  auto row = store.job(id);
  BOOST_TEST((row.state == job_state::mapping));
  BOOST_TEST(!row.started_at.empty());
  BOOST_TEST(row.finished_at == "");
  const std::string started = row.started_at;
  BOOST_TEST(store.set_state(id, job_state::mapping));  // mapping again keeps the first start
  BOOST_TEST(store.job(id).started_at == started);
  BOOST_TEST(store.set_state(id, job_state::merging));
  BOOST_TEST(store.job(id).finished_at == "");
  BOOST_TEST(store.set_state(id, job_state::done));
  row = store.job(id);
  BOOST_TEST((row.state == job_state::done));
  BOOST_TEST(!row.finished_at.empty());
  BOOST_TEST(row.finished_at >= row.started_at);
  const std::string finished_at = row.finished_at;

  for (auto to : {job_state::queued, job_state::mapping, job_state::merging, job_state::weaving,
                  job_state::failed, job_state::cancelled, job_state::done}) {
    BOOST_TEST(!store.set_state(id, to, "too late"), to_string(to));
  }
  row = store.job(id);
  BOOST_TEST((row.state == job_state::done));
  BOOST_TEST(row.finished_at == finished_at);
  BOOST_TEST(row.error == "");

  for (auto end : {job_state::failed, job_state::cancelled}) {
    const int64_t other = store.create_job(sample_job("b"));
    BOOST_TEST(store.set_state(other, end, "why"));
    row = store.job(other);
    BOOST_TEST((row.state == end));
    BOOST_TEST(!row.finished_at.empty());
    BOOST_TEST(row.error == "why");
    BOOST_TEST(!store.set_state(other, job_state::mapping));
    BOOST_TEST((store.job(other).state == end));
  }
}

// -- records ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(thousands_of_records_round_trip_in_order) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("records"));
  const int64_t other = store.create_job(sample_job("other"));
  const int64_t n = 7500;
  std::vector<record_row> expected;
  for (int64_t seq = 1; seq <= n; ++seq) expected.push_back({seq, record_body(seq)});
  // Large bodies, one above the 4 MB chunk of a MariaDB multi-row statement.
  expected[99].body = R"({"blob":")" + std::string(1 << 20, 'x') + R"("})";
  expected[4999].body = R"({"blob":")" + std::string(5 << 20, 'y') + R"(ü"})";
  // Inserted in two chunks, the second first: order comes from seq, not from time.
  std::vector<record_row> head(expected.begin(), expected.begin() + 3000);
  std::vector<record_row> tail(expected.begin() + 3000, expected.end());
  store.insert_records(id, tail);
  store.insert_records(id, head);
  store.insert_records(other, {{1, R"({"other":true})"}, {2, "{}"}});

  auto all = store.records(id, 1, n);
  BOOST_REQUIRE(all.size() == static_cast<std::size_t>(n));
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].seq != expected[i].seq || all[i].body != expected[i].body) {
      if (++wrong <= 3) BOOST_TEST(all[i].seq == expected[i].seq, "index " << i);
    }
  }
  BOOST_TEST(wrong == 0u);
  BOOST_TEST(all[4999].body.size() == expected[4999].body.size());

  // A range across fetch chunks, a single record, nothing, past the end.
  auto middle = store.records(id, 999, 2501);
  BOOST_REQUIRE(middle.size() == 1503u);
  BOOST_TEST(middle.front().seq == 999);
  BOOST_TEST(middle.back().seq == 2501);
  BOOST_TEST(middle[1].body == expected[999].body);
  auto one = store.records(id, 5000, 5000);
  BOOST_REQUIRE(one.size() == 1u);
  BOOST_TEST(one[0].body == expected[4999].body);
  BOOST_TEST(store.records(id, 10, 9).empty());
  BOOST_TEST(store.records(id, n + 1, n + 100).size() == 0u);
  BOOST_TEST(store.records(id, n - 1, n + 100).size() == 2u);
  BOOST_TEST(store.records(other, 1, n).size() == 2u);

  // A sequence number that exists already is a conflict, and nothing of that call is stored.
  auto e = expect_storage_error([&] {
    store.insert_records(id, {{n + 1, "{}"}, {n + 2, "{}"}, {7, "{}"}});
  });
  BOOST_TEST((e.code == errc::conflict), e.what());
  BOOST_TEST(rows_of_job(*db, "records", id) == n);
}

BOOST_AUTO_TEST_CASE(a_range_of_one_record_is_read) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("one"));
  store.insert_records(id, {{1, R"({"only":"one"})"}, {2, R"({"second":2})"}});
  auto one = store.records(id, 1, 1);
  BOOST_REQUIRE(one.size() == 1u);
  BOOST_TEST(one[0].seq == 1);
  BOOST_TEST(one[0].body == R"({"only":"one"})");
  auto two = store.records(id, 2, 2);
  BOOST_REQUIRE(two.size() == 1u);
  BOOST_TEST(two[0].body == R"({"second":2})");
  BOOST_TEST(store.records(id, 3, 3).empty());
}

BOOST_AUTO_TEST_CASE(reset_mapping_removes_one_jobs_records_batches_content_and_outputs) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  std::vector<int64_t> ids;
  for (int k = 0; k < 2; ++k) {
    const int64_t id = weaving_job(store, 40, 10);
    std::vector<record_row> rows;
    for (int64_t seq = 1; seq <= 40; ++seq) rows.push_back({seq, record_body(seq)});
    store.insert_records(id, rows);
    auto segs = store.open_batches(id, phase::weave);
    BOOST_REQUIRE(segs.size() == 4u);
    BOOST_REQUIRE(store.complete_weave(output_of(segs[0], "w"), segs[0].attempt, "w", "n1"));
    ids.push_back(id);
  }
  for (const auto id : ids) {
    BOOST_TEST(rows_of_job(*db, "records", id) == 40);
    BOOST_TEST(rows_of_job(*db, "batches", id) == 5);
    BOOST_TEST(rows_of_job(*db, "content", id) == 1);
    BOOST_TEST(rows_of_job(*db, "outputs", id) == 1);
  }
  store.reset_mapping(ids[0]);
  for (const auto* table : {"records", "batches", "content", "outputs"}) {
    BOOST_TEST(rows_of_job(*db, table, ids[0]) == 0, table);
  }
  BOOST_TEST(store.records(ids[0], 1, 40).empty());
  BOOST_TEST(store.contents(ids[0]).empty());
  BOOST_TEST(store.outputs(ids[0]).empty());
  BOOST_TEST((store.progress(ids[0], phase::merge) == std::make_pair(0, 0)));
  // The counters describe what was removed; they start again from zero.
  auto row = store.job(ids[0]);
  BOOST_TEST(row.records_done == 0);
  BOOST_TEST(row.batches_done == 0);
  // The other job keeps everything.
  BOOST_TEST(rows_of_job(*db, "records", ids[1]) == 40);
  BOOST_TEST(rows_of_job(*db, "batches", ids[1]) == 5);
  BOOST_TEST(store.contents(ids[1]).size() == 1u);
  BOOST_TEST(store.outputs(ids[1]).size() == 1u);
  BOOST_TEST(store.job(ids[1]).batches_done == 1);
  // Resetting a job that has nothing is harmless.
  store.reset_mapping(ids[0]);
  store.reset_mapping(987654);
}

BOOST_AUTO_TEST_CASE(the_mapping_report_is_stored_and_cleared_when_mapping_starts_over) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("report"));
  BOOST_TEST(store.mapping_report(id).empty());
  // JSON with a long warning and non-ASCII text, as the mapper writes it.
  const std::string report =
      "{\"reader\":\"CSV, delimiter ';'\",\"warnings\":[\"{{name}} is "
      "empty in 100 % of records \u2014 K\u00f6ln " +
      std::string(5000, 'x') + "\"]}";
  store.set_mapping_report(id, report);
  BOOST_TEST(store.mapping_report(id) == report);
  store.reset_mapping(id);
  BOOST_TEST(store.mapping_report(id).empty());
  BOOST_TEST(store.mapping_report(987654).empty());  // no such job: nothing to report
}

// -- mapping ends, merging --------------------------------------------------------

BOOST_AUTO_TEST_CASE(finish_mapping_stores_the_batches_and_moves_the_job_to_merging) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("m"));
  BOOST_TEST(store.set_state(id, job_state::mapping));
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(0, 0)));
  const auto planned = plan(id, phase::merge, 1234, 100);  // 13 batches, the last of 34
  store.finish_mapping(id, 1234, planned);
  auto row = store.job(id);
  BOOST_TEST((row.state == job_state::merging));
  BOOST_TEST(row.record_count == 1234);
  BOOST_TEST(row.batch_count == 13);
  BOOST_TEST(row.batches_done == 0);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(0, 13)));
  BOOST_TEST((store.progress(id, phase::weave) == std::make_pair(0, 0)));

  auto open = store.open_batches(id, phase::merge);
  BOOST_REQUIRE(open.size() == planned.size());
  for (std::size_t i = 0; i < open.size(); ++i) {
    BOOST_TEST(open[i].job_id == id);
    BOOST_TEST((open[i].phase == phase::merge));
    BOOST_TEST(open[i].batch_no == planned[i].batch_no);
    BOOST_TEST(open[i].first_seq == planned[i].first_seq);
    BOOST_TEST(open[i].last_seq == planned[i].last_seq);
    BOOST_TEST(open[i].state == "queued");
    BOOST_TEST(open[i].attempt == 1);
    BOOST_TEST(open[i].engine == "");
  }
  BOOST_TEST(open.back().last_seq == 1234);
  BOOST_TEST(store.open_batches(id, phase::weave).empty());

  BOOST_TEST(store.complete_merge(content_of(open[3], 1, "e"), "e", "n1"));
  BOOST_TEST(store.complete_merge(content_of(open[12], 1, "e"), "e", "n1"));
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(2, 13)));
  auto still_open = store.open_batches(id, phase::merge);
  BOOST_TEST(still_open.size() == 11u);
  for (const auto& b : still_open) BOOST_TEST((b.batch_no != 3 && b.batch_no != 12));
  row = store.job(id);
  BOOST_TEST(row.batches_done == 2);
  BOOST_TEST(row.records_done == 100 + 34);
}

BOOST_AUTO_TEST_CASE(finish_mapping_again_replaces_the_plan_and_its_results) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 10);
  auto open = store.open_batches(id, phase::merge);
  BOOST_TEST(store.complete_merge(content_of(open[0], 1, "e"), "e", "n"));
  store.finish_mapping(id, 30, plan(id, phase::merge, 30, 15));
  auto row = store.job(id);
  BOOST_TEST(row.batch_count == 2);
  BOOST_TEST(row.batches_done == 0);
  BOOST_TEST(row.records_done == 0);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(0, 2)));
  BOOST_TEST(store.contents(id).empty());  // batch 0's old content covered 1..10, not 1..15
  // A job without records has no batches and still moves on.
  const int64_t empty = store.create_job(sample_job("empty"));
  BOOST_TEST(store.set_state(empty, job_state::mapping));
  store.finish_mapping(empty, 0, {});
  BOOST_TEST((store.job(empty).state == job_state::merging));
  BOOST_TEST((store.progress(empty, phase::merge) == std::make_pair(0, 0)));
}

BOOST_AUTO_TEST_CASE(open_batches_reads_more_than_one_fetch_chunk) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 1200, 1);
  auto open = store.open_batches(id, phase::merge);
  BOOST_REQUIRE(open.size() == 1200u);
  for (std::size_t i = 0; i < open.size(); ++i) {
    if (open[i].batch_no != static_cast<int>(i)) BOOST_FAIL("batch order broken at " << i);
  }
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(0, 1200)));
}

BOOST_AUTO_TEST_CASE(finish_mapping_stores_the_batches_under_the_job_it_names) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("m"));
  BOOST_TEST(store.set_state(id, job_state::mapping));
  auto planned = plan(0, phase::weave, 30, 10);  // job id and phase left wrong by the caller
  store.finish_mapping(id, 30, planned);
  BOOST_TEST(store.open_batches(id, phase::merge).size() == 3u);
  BOOST_TEST(store.open_batches(id, phase::weave).empty());
  BOOST_TEST(rows_of_job(*db, "batches", 0) == 0);
}

BOOST_AUTO_TEST_CASE(finish_mapping_does_not_resurrect_a_finished_job) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  for (auto end : {job_state::cancelled, job_state::failed, job_state::done}) {
    const int64_t id = store.create_job(sample_job("c"));
    BOOST_TEST(store.set_state(id, job_state::mapping));
    BOOST_TEST(store.set_state(id, end, "stopped while mapping"));
    auto e =
        expect_storage_error([&] { store.finish_mapping(id, 20, plan(id, phase::merge, 20, 10)); });
    BOOST_TEST((e.code == errc::conflict), e.what());
    auto row = store.job(id);
    BOOST_TEST((row.state == end), to_string(end));
    BOOST_TEST(row.batch_count == 0);
    BOOST_TEST(rows_of_job(*db, "batches", id) == 0);
  }
  auto e =
      expect_storage_error([&] { store.finish_mapping(5555, 1, plan(5555, phase::merge, 1, 1)); });
  BOOST_TEST((e.code == errc::not_found), e.what());
  BOOST_TEST(rows_of_job(*db, "batches", 5555) == 0);
}

// Merging overlaps mapping (issue 15): merge batches stored while the job maps are
// completed (fenced) while it maps, stay when the mapping ends with the rest of the plan,
// and count in the job's counters; a job not mapping takes none; a new mapping clears them
// and says their highest attempt.
BOOST_AUTO_TEST_CASE(merge_batches_cut_while_mapping_stay_with_their_results) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("overlap"));
  BOOST_REQUIRE(store.set_state(id, job_state::mapping));
  auto all = plan(id, phase::merge, 100, 10);  // 10 batches; 0..3 cut while mapping
  std::vector<batch_row> early(all.begin(), all.begin() + 2),
      later(all.begin() + 2, all.begin() + 4);
  store.add_merge_batches(id, early);
  store.add_merge_batches(id, later);
  store.add_merge_batches(id, {});  // nothing: no transaction, no change
  BOOST_TEST(store.job(id).batch_count == 4);
  BOOST_TEST((store.job(id).state == job_state::mapping));
  BOOST_TEST(store.complete_merge(content_of(all[1], 1, "e"), "e", "n"));     // while mapping
  BOOST_TEST(!store.complete_merge(content_of(all[1], 1, "e2"), "e2", "n"));  // once
  BOOST_TEST(!store.complete_merge(content_of(all[5], 1, "e"), "e", "n"));    // not cut yet
  std::vector<batch_row> rest(all.begin() + 4, all.end());
  store.finish_mapping(id, 100, rest, plan(id, phase::weave, 100, 100), /*keep_added=*/true);
  auto row = store.job(id);
  BOOST_TEST((row.state == job_state::merging));
  BOOST_TEST(row.record_count == 100);
  BOOST_TEST(row.batch_count == 10);
  BOOST_TEST(row.batches_done == 1);
  BOOST_TEST(row.records_done == 10);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(1, 10)));
  BOOST_TEST(store.contents(id).size() == 1u);
  auto open = store.open_batches(id, phase::merge);
  BOOST_TEST(open.size() == 9u);
  BOOST_TEST(store.open_batches(id, phase::weave).size() == 1u);
  // Ended already: the plan is not stored a second time.
  auto again =
      expect_storage_error([&] { store.finish_mapping(id, 100, rest, {}, /*keep_added=*/true); });
  BOOST_TEST((again.code == errc::conflict), again.what());
  BOOST_TEST(rows_of_job(*db, "batches", id) == 11);
  // Not mapping (merging now): no more batches.
  auto late = expect_storage_error([&] { store.add_merge_batches(id, {all[0]}); });
  BOOST_TEST((late.code == errc::conflict), late.what());
  // A new mapping clears them and says their highest attempt (batch 2's is 3 now).
  store.set_attempts({{id, phase::merge, 2, 3}});
  BOOST_TEST(store.reset_mapping(id) == 3);
  BOOST_TEST(rows_of_job(*db, "batches", id) == 0);
  BOOST_TEST(store.contents(id).empty());
  BOOST_TEST(store.reset_mapping(id) == 0);  // none left
  // A cancelled job takes none.
  const int64_t cancelled = store.create_job(sample_job("cancelled"));
  BOOST_REQUIRE(store.set_state(cancelled, job_state::mapping));
  BOOST_REQUIRE(store.set_state(cancelled, job_state::cancelled, "by the test"));
  auto refused = expect_storage_error(
      [&] { store.add_merge_batches(cancelled, plan(cancelled, phase::merge, 10, 5)); });
  BOOST_TEST((refused.code == errc::conflict), refused.what());
  BOOST_TEST(rows_of_job(*db, "batches", cancelled) == 0);
}

// -- the fence: merge -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_merge_result_is_accepted_once) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 10);
  auto open = store.open_batches(id, phase::merge);
  const auto first = content_of(open[1], 1, "ext1/merge/0");
  BOOST_TEST(store.complete_merge(first, "ext1/merge/0", "ext1"));
  // The same result again, and a result of the same attempt from elsewhere.
  BOOST_TEST(!store.complete_merge(first, "ext1/merge/0", "ext1"));
  BOOST_TEST(!store.complete_merge(content_of(open[1], 1, "ext2/merge/1"), "ext2/merge/1", "ext2"));
  // A newer attempt cannot replace a result that was accepted either.
  BOOST_TEST(!store.complete_merge(content_of(open[1], 2, "ext2/merge/1"), "ext2/merge/1", "ext2"));
  auto contents = store.contents(id);
  BOOST_REQUIRE(contents.size() == 1u);
  BOOST_TEST(contents[0].batch_no == 1);
  BOOST_TEST(contents[0].attempt == 1);
  BOOST_TEST(contents[0].path == first.path);
  BOOST_TEST(contents[0].bytes == first.bytes);
  BOOST_TEST(contents[0].records == 10);
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "engine") == "ext1/merge/0");
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "node") == "ext1");
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "state") == "done");
  BOOST_TEST(!batch_column(*db, id, phase::merge, 1, "finished_at").empty());
  auto row = store.job(id);
  BOOST_TEST(row.batches_done == 1);
  BOOST_TEST(row.records_done == 10);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(1, 3)));
  // A batch that does not exist takes nothing.
  auto ghost = first;
  ghost.batch_no = 77;
  BOOST_TEST(!store.complete_merge(ghost, "x", "y"));
  BOOST_TEST(rows_of_job(*db, "content", id) == 1);
}

BOOST_AUTO_TEST_CASE(a_merge_result_of_an_older_attempt_is_refused) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 10);
  auto open = store.open_batches(id, phase::merge);
  // Batch 0: the node running attempt 1 was lost; attempt 2 was handed out.
  store.set_attempt(id, phase::merge, 0, 2);
  BOOST_TEST(store.open_batches(id, phase::merge)[0].attempt == 2);
  BOOST_TEST(!store.complete_merge(content_of(open[0], 1, "lost"), "lost", "n-lost"));
  BOOST_TEST(rows_of_job(*db, "content", id) == 0);
  BOOST_TEST(store.complete_merge(content_of(open[0], 2, "second"), "second", "n2"));
  BOOST_TEST(!store.complete_merge(content_of(open[0], 1, "lost"), "lost", "n-lost"));
  // set_attempt never lowers an attempt, and leaves a done batch alone.
  store.set_attempt(id, phase::merge, 1, 3);
  store.set_attempt(id, phase::merge, 1, 2);
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "attempt") == "3");
  store.set_attempt(id, phase::merge, 0, 5);
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "attempt") == "2");
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "state") == "done");
  // A result from an attempt newer than the stored one is current: accepted.
  BOOST_TEST(store.complete_merge(content_of(open[2], 4, "newer"), "newer", "n3"));
  BOOST_TEST(batch_column(*db, id, phase::merge, 2, "attempt") == "4");
  auto contents = store.contents(id);
  BOOST_REQUIRE(contents.size() == 2u);
  BOOST_TEST(contents[0].batch_no == 0);
  BOOST_TEST(contents[0].attempt == 2);
  BOOST_TEST(contents[0].path == content_of(open[0], 2, "second").path);
  BOOST_TEST(contents[1].batch_no == 2);
  BOOST_TEST(contents[1].attempt == 4);
  BOOST_TEST(store.job(id).batches_done == 2);
}

BOOST_AUTO_TEST_CASE(a_merge_result_for_a_job_that_is_not_merging_is_refused) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  for (auto end : {job_state::cancelled, job_state::failed}) {
    const int64_t id = merging_job(store, 20, 10);
    auto open = store.open_batches(id, phase::merge);
    BOOST_TEST(store.set_state(id, end, "stopped"));
    BOOST_TEST(!store.complete_merge(content_of(open[0], 1, "e"), "e", "n"), to_string(end));
    BOOST_TEST(rows_of_job(*db, "content", id) == 0);
    BOOST_TEST(batch_column(*db, id, phase::merge, 0, "state") == "queued");
    BOOST_TEST(store.job(id).batches_done == 0);
  }
  // A job that has moved on to weaving takes no more merge results.
  const int64_t weaving = merging_job(store, 20, 10);
  auto open = store.open_batches(weaving, phase::merge);
  BOOST_TEST(store.complete_merge(content_of(open[0], 1, "e"), "e", "n"));
  store.start_weaving(weaving, plan(weaving, phase::weave, 20, 20));
  BOOST_REQUIRE((store.job(weaving).state == job_state::weaving));
  BOOST_TEST(!store.complete_merge(content_of(open[1], 1, "late"), "late", "n"));
  BOOST_TEST(store.contents(weaving).size() == 1u);
  BOOST_TEST(batch_column(*db, weaving, phase::merge, 1, "state") == "queued");
}

BOOST_AUTO_TEST_CASE(two_racing_merge_results_for_one_batch_one_is_accepted,
                     *boost::unit_test::timeout(240)) {
  fresh_database fresh;
  // Two nodes: each its own pool, so that the two completions really overlap.
  auto db1 = fresh.open();
  auto db2 = fresh.open();
  job_store a(*db1), b(*db2);
  const int rounds = 50;
  const int64_t id = merging_job(a, rounds * 2, 2);
  auto open = a.open_batches(id, phase::merge);
  BOOST_REQUIRE(open.size() == static_cast<std::size_t>(rounds));
  int errors = 0, both = 0, neither = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto& batch = open[r];
    auto results = race({[&] { return a.complete_merge(content_of(batch, 1, "a"), "a", "na"); },
                         [&] { return b.complete_merge(content_of(batch, 1, "b"), "b", "nb"); }});
    for (const auto& o : results) {
      if (!o.error.empty()) {
        ++errors;
        BOOST_TEST_MESSAGE("round " << r << ": " << o.error);
      }
    }
    if (results[0].accepted && results[1].accepted) ++both;
    if (!results[0].accepted && !results[1].accepted) ++neither;
    // The winner's row is the one stored.
    if (results[0].accepted != results[1].accepted) {
      const std::string winner = results[0].accepted ? "a" : "b";
      BOOST_TEST(batch_column(*db1, id, phase::merge, batch.batch_no, "engine") == winner);
    }
  }
  BOOST_TEST(errors == 0);
  BOOST_TEST(both == 0);
  BOOST_TEST(neither == 0);
  BOOST_TEST(rows_of_job(*db1, "content", id) == rounds);
  auto row = a.job(id);
  BOOST_TEST(row.batches_done == rounds);
  BOOST_TEST(row.records_done == rounds * 2);
  BOOST_TEST((a.progress(id, phase::merge) == std::make_pair(rounds, rounds)));
}

BOOST_AUTO_TEST_CASE(racing_merge_results_for_different_batches_are_all_accepted,
                     *boost::unit_test::timeout(240)) {
  fresh_database fresh;
  std::vector<std::unique_ptr<database>> dbs;
  std::vector<std::unique_ptr<job_store>> stores;
  for (int i = 0; i < 4; ++i) {
    dbs.push_back(fresh.open());
    stores.push_back(std::make_unique<job_store>(*dbs.back()));
  }
  const int rounds = 20;
  const int64_t id = merging_job(*stores[0], rounds * 4, 1);
  auto open = stores[0]->open_batches(id, phase::merge);
  int errors = 0, refused = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::function<bool()>> racers;
    for (int i = 0; i < 4; ++i) {
      const auto& batch = open[r * 4 + i];
      racers.push_back([&, i] {
        const std::string engine = "e" + std::to_string(i);
        return stores[i]->complete_merge(content_of(batch, 1, engine), engine, "n");
      });
    }
    for (const auto& o : race(racers)) {
      if (!o.error.empty()) {
        ++errors;
        BOOST_TEST_MESSAGE("round " << r << ": " << o.error);
      } else if (!o.accepted) {
        ++refused;
      }
    }
  }
  BOOST_TEST(errors == 0);
  BOOST_TEST(refused == 0);
  auto row = stores[0]->job(id);
  BOOST_TEST(row.batches_done == rounds * 4);
  BOOST_TEST(row.records_done == rounds * 4);
  BOOST_TEST(stores[0]->contents(id).size() == static_cast<std::size_t>(rounds * 4));
}

BOOST_AUTO_TEST_CASE(contents_come_in_record_order_with_their_ranges) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = store.create_job(sample_job("order"));
  BOOST_TEST(store.set_state(id, job_state::mapping));
  // Batch numbers that do not follow the record order (a re-planned job).
  std::vector<batch_row> planned;
  const std::vector<std::pair<int64_t, int64_t>> ranges = {{41, 60}, {1, 20}, {61, 75}, {21, 40}};
  for (int i = 0; i < 4; ++i) {
    batch_row b;
    b.job_id = id;
    b.batch_no = i;
    b.first_seq = ranges[i].first;
    b.last_seq = ranges[i].second;
    planned.push_back(b);
  }
  store.finish_mapping(id, 75, planned);
  for (int i : {2, 0, 3, 1})
    BOOST_TEST(store.complete_merge(content_of(planned[i], 1, "e"), "e", "n"));
  auto contents = store.contents(id);
  BOOST_REQUIRE(contents.size() == 4u);
  const std::vector<int> batch_order = {1, 3, 0, 2};
  for (std::size_t k = 0; k < 4; ++k) {
    const auto& c = contents[k];
    const auto& b = planned[batch_order[k]];
    BOOST_TEST(c.job_id == id);
    BOOST_TEST(c.batch_no == b.batch_no);
    BOOST_TEST(c.first_seq == b.first_seq);
    BOOST_TEST(c.last_seq == b.last_seq);
    BOOST_TEST(c.records == b.last_seq - b.first_seq + 1);
    BOOST_TEST(c.path == content_of(b, 1, "e").path);
    BOOST_TEST(c.bytes == 1000 + b.batch_no);
  }
  BOOST_TEST(contents.front().first_seq == 1);
  BOOST_TEST(contents.back().last_seq == 75);
  BOOST_TEST(store.job(id).records_done == 75);
}

// A read cut short by the database's shutdown comes back with fewer rows (often none) and
// no error (SOCI over MariaDB). The reads a take-over and a weave act on count what they
// must see and report a short read as `unavailable`, which their callers retry; the seam
// drops the rows after the database answered, as the cut does.
bool unavailable(const storage_error& e) {
  return e.code == errc::unavailable &&
         std::string{e.what()}.find("answered only in part") != std::string::npos;
}

BOOST_AUTO_TEST_CASE(reads_cut_short_are_unavailable_not_empty) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 10);
  const auto batches = store.open_batches(id, phase::merge);
  BOOST_REQUIRE(batches.size() == 3u);
  BOOST_TEST(store.complete_merge(content_of(batches[0], 1, "e"), "e", "n"));

  cut_reads_short_for_test("contents", 1);
  BOOST_CHECK_EXCEPTION(store.contents(id), storage_error, unavailable);
  BOOST_TEST(store.contents(id).size() == 1u);  // read again: whole

  cut_reads_short_for_test("open_batches", 1);
  BOOST_CHECK_EXCEPTION(store.open_batches(id, phase::merge), storage_error, unavailable);
  BOOST_TEST(store.open_batches(id, phase::merge).size() == 2u);

  cut_reads_short_for_test("unfinished_jobs", 1);
  BOOST_CHECK_EXCEPTION(store.unfinished_jobs(), storage_error, unavailable);
  BOOST_TEST(store.unfinished_jobs().size() == 1u);

  // An engine deletes a refused result's file only if no accepted result names it: a
  // count that did not answer must not read as "unnamed".
  const auto named = content_of(batches[0], 1, "e").path;
  BOOST_TEST(store.names_file(id, named));
  cut_reads_short_for_test("names_file", 1);
  BOOST_CHECK_EXCEPTION(store.names_file(id, named), storage_error, unavailable);
  BOOST_TEST(!store.names_file(id, named + ".other"));

  // Nothing to read is not short: a job with no content yet, no open weave batch.
  const int64_t other = merging_job(store, 5, 5);
  cut_reads_short_for_test("contents", 1);
  BOOST_TEST(store.contents(other).empty());
  cut_reads_short_for_test("open_batches", 1);
  BOOST_TEST(store.open_batches(other, phase::weave).empty());
  cut_reads_short_for_test("contents", 0);
  cut_reads_short_for_test("open_batches", 0);
}

BOOST_AUTO_TEST_CASE(a_weave_range_without_every_content_row_is_unavailable) {
  std::vector<content_row> rows(3);
  rows[0].first_seq = 1, rows[0].last_seq = 10;
  rows[1].first_seq = 11, rows[1].last_seq = 20;
  rows[2].first_seq = 21, rows[2].last_seq = 30;
  BOOST_CHECK_NO_THROW(require_contents_cover(rows, 1, 1, 30));
  BOOST_CHECK_NO_THROW(require_contents_cover(rows, 1, 5, 25));
  BOOST_CHECK_NO_THROW(require_contents_cover(rows, 1, 21, 21));
  BOOST_CHECK_EXCEPTION(require_contents_cover({}, 1, 1, 10), storage_error, unavailable);
  BOOST_CHECK_EXCEPTION(require_contents_cover(rows, 1, 1, 31), storage_error, unavailable);
  auto gap = rows;
  gap.erase(gap.begin() + 1);
  BOOST_CHECK_EXCEPTION(require_contents_cover(gap, 1, 5, 25), storage_error, unavailable);
  BOOST_CHECK_NO_THROW(require_contents_cover(gap, 1, 21, 30));  // outside the gap
  try {
    require_contents_cover(gap, 7, 5, 25);
  } catch (const storage_error& e) {
    BOOST_TEST(std::string{e.what()}.find("job 7: no content row read for record 11") !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(mark_running_does_not_resurrect_a_done_batch) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 10);
  auto open = store.open_batches(id, phase::merge);
  auto running = open[0];
  running.engine = "ext1/merge/0";
  running.node = "ext1";
  store.mark_running(running);
  auto now_open = store.open_batches(id, phase::merge);
  BOOST_REQUIRE(now_open.size() == 3u);
  BOOST_TEST(now_open[0].state == "running");
  BOOST_TEST(now_open[0].engine == "ext1/merge/0");
  BOOST_TEST(now_open[0].node == "ext1");
  BOOST_TEST(!batch_column(*db, id, phase::merge, 0, "started_at").empty());

  BOOST_TEST(store.complete_merge(content_of(open[0], 1, "ext1"), "ext1/merge/0", "ext1"));
  // A late "running" notice for the finished batch changes nothing.
  auto late = open[0];
  late.engine = "ext2/merge/3";
  late.node = "ext2";
  store.mark_running(late);
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "state") == "done");
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "engine") == "ext1/merge/0");
  BOOST_TEST(store.open_batches(id, phase::merge).size() == 2u);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(1, 3)));

  // Nor does a notice of an attempt that was replaced.
  store.set_attempt(id, phase::merge, 1, 2);
  auto stale = open[1];  // attempt 1
  stale.engine = "stale";
  store.mark_running(stale);
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "state") == "queued");
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "engine") == "");
}

// -- the fence: weave ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(start_weaving_stores_the_segments_and_moves_the_job_to_weaving) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = weaving_job(store, 95, 30);
  auto segs = store.open_batches(id, phase::weave);
  BOOST_REQUIRE(segs.size() == 4u);
  BOOST_TEST(segs[3].first_seq == 91);
  BOOST_TEST(segs[3].last_seq == 95);
  BOOST_TEST((store.progress(id, phase::weave) == std::make_pair(0, 4)));
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(1, 1)));
  // Not from a job that is no longer merging.
  const int64_t cancelled = merging_job(store, 10, 10);
  BOOST_TEST(store.set_state(cancelled, job_state::cancelled));
  auto e = expect_storage_error(
      [&] { store.start_weaving(cancelled, plan(cancelled, phase::weave, 10, 10)); });
  BOOST_TEST((e.code == errc::conflict), e.what());
  BOOST_TEST((store.job(cancelled).state == job_state::cancelled));
  BOOST_TEST(store.open_batches(cancelled, phase::weave).empty());
  // Nor twice: a second plan would drop the segments already woven.
  BOOST_TEST(store.complete_weave(output_of(segs[0], "w"), 1, "w", "n"));
  e = expect_storage_error([&] { store.start_weaving(id, plan(id, phase::weave, 95, 10)); });
  BOOST_TEST((e.code == errc::conflict), e.what());
  BOOST_TEST((store.progress(id, phase::weave) == std::make_pair(1, 4)));
  BOOST_TEST(store.outputs(id).size() == 1u);
  // An unknown job is not found.
  e = expect_storage_error([&] { store.start_weaving(424242, {}); });
  BOOST_TEST((e.code == errc::not_found), e.what());
}

BOOST_AUTO_TEST_CASE(start_weaving_stores_the_segments_under_the_job_it_names) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 30, 30);
  auto open = store.open_batches(id, phase::merge);
  BOOST_TEST(store.complete_merge(content_of(open[0], 1, "m"), "m", "n"));
  store.start_weaving(id, plan(0, phase::merge, 30, 10));  // job id and phase left wrong
  BOOST_TEST(store.open_batches(id, phase::weave).size() == 3u);
  BOOST_TEST((store.progress(id, phase::merge) == std::make_pair(1, 1)));
  BOOST_TEST(rows_of_job(*db, "batches", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_weave_result_is_accepted_once_and_only_from_the_current_attempt) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = weaving_job(store, 40, 10);
  auto segs = store.open_batches(id, phase::weave);
  BOOST_REQUIRE(segs.size() == 4u);
  const auto out2 = output_of(segs[2], "w1");
  BOOST_TEST(store.complete_weave(out2, 1, "w1", "n1"));
  BOOST_TEST(!store.complete_weave(out2, 1, "w1", "n1"));
  BOOST_TEST(!store.complete_weave(output_of(segs[2], "w2"), 1, "w2", "n2"));
  BOOST_TEST(!store.complete_weave(output_of(segs[2], "w2"), 2, "w2", "n2"));

  store.set_attempt(id, phase::weave, 0, 2);
  BOOST_TEST(!store.complete_weave(output_of(segs[0], "lost"), 1, "lost", "n-lost"));
  BOOST_TEST(store.complete_weave(output_of(segs[0], "w3"), 2, "w3", "n3"));
  BOOST_TEST(store.complete_weave(output_of(segs[1], "w4"), 3, "w4", "n4"));  // newer: current

  auto outputs = store.outputs(id);
  BOOST_REQUIRE(outputs.size() == 3u);
  BOOST_TEST(outputs[0].segment_no == 0);
  BOOST_TEST(outputs[0].path == output_of(segs[0], "w3").path);
  BOOST_TEST(outputs[1].segment_no == 1);
  BOOST_TEST(outputs[2].segment_no == 2);
  BOOST_TEST(outputs[2].path == out2.path);
  BOOST_TEST(outputs[2].format == "pdf");
  BOOST_TEST(outputs[2].documents == 10);
  BOOST_TEST(outputs[2].pages == 20);
  BOOST_TEST(outputs[2].bytes == 5002);
  BOOST_TEST(outputs[2].job_id == id);
  BOOST_TEST((store.progress(id, phase::weave) == std::make_pair(3, 4)));
  BOOST_TEST(store.open_batches(id, phase::weave).size() == 1u);
  // A weave result is not a merge result: the merge batch of the same number is untouched.
  BOOST_TEST(store.contents(id).size() == 1u);

  // Once the job is cancelled the last segment is refused.
  BOOST_TEST(store.set_state(id, job_state::cancelled));
  BOOST_TEST(!store.complete_weave(output_of(segs[3], "w5"), 1, "w5", "n5"));
  BOOST_TEST(store.outputs(id).size() == 3u);
  BOOST_TEST(batch_column(*db, id, phase::weave, 3, "state") == "queued");

  // And a merging job takes no weave result.
  const int64_t merging = merging_job(store, 10, 10);
  batch_row early;
  early.job_id = merging;
  early.first_seq = 1;
  early.last_seq = 10;
  BOOST_TEST(!store.complete_weave(output_of(early, "w"), 1, "w", "n"));
  BOOST_TEST(store.outputs(merging).empty());
}

BOOST_AUTO_TEST_CASE(a_weave_result_for_a_failed_job_is_refused) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = weaving_job(store, 20, 10);
  auto segs = store.open_batches(id, phase::weave);
  BOOST_TEST(store.set_state(id, job_state::failed, "weaver crashed"));
  BOOST_TEST(!store.complete_weave(output_of(segs[0], "w"), 1, "w", "n"));
  BOOST_TEST(store.outputs(id).empty());
}

BOOST_AUTO_TEST_CASE(two_racing_weave_results_for_one_segment_one_is_accepted,
                     *boost::unit_test::timeout(240)) {
  fresh_database fresh;
  auto db1 = fresh.open();
  auto db2 = fresh.open();
  job_store a(*db1), b(*db2);
  const int rounds = 50;
  const int64_t id = weaving_job(a, rounds, 1);
  auto segs = a.open_batches(id, phase::weave);
  BOOST_REQUIRE(segs.size() == static_cast<std::size_t>(rounds));
  int errors = 0, both = 0, neither = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto& seg = segs[r];
    auto results = race({[&] { return a.complete_weave(output_of(seg, "a"), 1, "a", "na"); },
                         [&] { return b.complete_weave(output_of(seg, "b"), 1, "b", "nb"); }});
    for (const auto& o : results) {
      if (!o.error.empty()) {
        ++errors;
        BOOST_TEST_MESSAGE("round " << r << ": " << o.error);
      }
    }
    if (results[0].accepted && results[1].accepted) ++both;
    if (!results[0].accepted && !results[1].accepted) ++neither;
  }
  BOOST_TEST(errors == 0);
  BOOST_TEST(both == 0);
  BOOST_TEST(neither == 0);
  auto outputs = a.outputs(id);
  BOOST_TEST(outputs.size() == static_cast<std::size_t>(rounds));
  for (const auto& o : outputs) {
    const std::string winner =
        batch_column(*db1, id, phase::weave, o.segment_no, "engine");  // "a" or "b"
    BOOST_TEST(o.path == output_of(segs[o.segment_no], winner).path);
  }
  BOOST_TEST((a.progress(id, phase::weave) == std::make_pair(rounds, rounds)));
}

BOOST_AUTO_TEST_CASE(a_merge_result_racing_a_cancel_is_stored_only_if_it_came_first,
                     *boost::unit_test::timeout(240)) {
  fresh_database fresh;
  auto db1 = fresh.open();
  auto db2 = fresh.open();
  job_store a(*db1), b(*db2);
  int errors = 0, inconsistent = 0, accepted = 0;
  for (int r = 0; r < 30; ++r) {
    const int64_t id = merging_job(a, 10, 10);
    const auto batch = a.open_batches(id, phase::merge).at(0);
    auto results = race({[&] { return a.complete_merge(content_of(batch, 1, "e"), "e", "n"); },
                         [&] { return b.set_state(id, job_state::cancelled, "cancelled"); }});
    for (const auto& o : results) {
      if (!o.error.empty()) {
        ++errors;
        BOOST_TEST_MESSAGE("round " << r << ": " << o.error);
      }
    }
    const auto row = a.job(id);
    const bool stored = rows_of_job(*db1, "content", id) == 1;
    if (results[0].accepted) ++accepted;
    if (!results[1].accepted || row.state != job_state::cancelled ||
        stored != results[0].accepted || row.batches_done != (stored ? 1 : 0))
      ++inconsistent;
  }
  BOOST_TEST_MESSAGE(accepted << " of 30 results came before the cancel");
  BOOST_TEST(errors == 0);
  BOOST_TEST(inconsistent == 0);
}

// -- grouped completions (issue 15): one transaction, each result fenced alone ----------

namespace {

completion merge_result(const batch_row& b, int attempt, const std::string& engine) {
  completion c;
  c.phase = phase::merge;
  c.content = content_of(b, attempt, engine);
  return c;
}

completion weave_result(const batch_row& b, int attempt, const std::string& engine) {
  completion c;
  c.phase = phase::weave;
  c.output = output_of(b, engine);
  c.attempt = attempt;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_refused_completion_in_a_group_does_not_refuse_its_neighbours) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t id = merging_job(store, 60, 10);  // merge batches 0..5
  auto open = store.open_batches(id, phase::merge);
  const int64_t woven = weaving_job(store, 30, 10);  // segments 0..2
  auto segs = store.open_batches(woven, phase::weave);
  // Batch 1 was done by another engine; batch 3 was handed out again as attempt 2.
  BOOST_REQUIRE(store.complete_merge(content_of(open[1], 1, "other"), "other", "n2"));
  store.set_attempt(id, phase::merge, 3, 2);
  store.set_attempt(woven, phase::weave, 1, 2);
  // One group, merge and weave mixed, given out of batch order.
  const std::vector<completion> group{
      merge_result(open[2], 1, "e"),  // accepted
      merge_result(open[1], 1, "e"),  // refused: done already
      merge_result(open[0], 1, "e"),  // accepted
      merge_result(open[3], 1, "e"),  // refused: attempt 1 is older than 2
      weave_result(segs[0], 1, "e"),  // accepted
      weave_result(segs[1], 1, "e"),  // refused: attempt 1 is older than 2
      merge_result(open[4], 1, "e"),  // accepted
  };
  const auto accepted = store.complete_batches(group, "e", "n1");
  const std::vector<bool> expected{true, false, true, false, true, false, true};
  BOOST_TEST(accepted == expected, boost::test_tools::per_element());
  // The accepted results are stored as a single completion stores them.
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "state") == "done");
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "engine") == "e");
  BOOST_TEST(batch_column(*db, id, phase::merge, 2, "state") == "done");
  BOOST_TEST(batch_column(*db, id, phase::merge, 4, "state") == "done");
  // The refused ones changed nothing.
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "engine") == "other");
  BOOST_TEST(batch_column(*db, id, phase::merge, 3, "state") == "queued");
  BOOST_TEST(batch_column(*db, id, phase::merge, 3, "attempt") == "2");
  BOOST_TEST(batch_column(*db, id, phase::merge, 5, "state") == "queued");
  auto contents = store.contents(id);
  BOOST_REQUIRE(contents.size() == 4u);  // 0, 1 (other), 2, 4
  BOOST_TEST(contents[0].path == content_of(open[0], 1, "e").path);
  BOOST_TEST(contents[1].path == content_of(open[1], 1, "other").path);
  BOOST_TEST(contents[2].path == content_of(open[2], 1, "e").path);
  BOOST_TEST(contents[3].path == content_of(open[4], 1, "e").path);
  BOOST_TEST(store.job(id).batches_done == 4);
  auto outputs = store.outputs(woven);
  BOOST_REQUIRE(outputs.size() == 1u);
  BOOST_TEST(outputs[0].segment_no == 0);
  BOOST_TEST(batch_column(*db, woven, phase::weave, 1, "state") == "queued");
  // The same group again: everything is refused now, nothing changes.
  const auto again = store.complete_batches(group, "late", "n9");
  BOOST_TEST(std::count(again.begin(), again.end(), true) == 0);
  BOOST_TEST(store.contents(id).size() == 4u);
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "engine") == "e");
  BOOST_TEST(store.complete_batches({}, "e", "n").empty());
}

BOOST_AUTO_TEST_CASE(a_group_for_a_job_that_ended_is_refused_while_another_jobs_batch_is_taken) {
  fresh_database fresh;
  auto db = fresh.open();
  job_store store(*db);
  const int64_t cancelled = merging_job(store, 20, 10);
  const int64_t running = merging_job(store, 20, 10);
  auto a = store.open_batches(cancelled, phase::merge);
  auto b = store.open_batches(running, phase::merge);
  BOOST_REQUIRE(store.set_state(cancelled, job_state::cancelled, "cancelled by request"));
  const auto accepted = store.complete_batches(
      {merge_result(a[0], 1, "e"), merge_result(b[0], 1, "e"), merge_result(a[1], 1, "e")}, "e",
      "n");
  const std::vector<bool> expected{false, true, false};
  BOOST_TEST(accepted == expected, boost::test_tools::per_element());
  BOOST_TEST(rows_of_job(*db, "content", cancelled) == 0);
  BOOST_TEST(rows_of_job(*db, "content", running) == 1);
}

BOOST_AUTO_TEST_CASE(racing_groups_that_share_batches_take_each_batch_once,
                     *boost::unit_test::timeout(240)) {
  fresh_database fresh;
  auto db1 = fresh.open();
  auto db2 = fresh.open();
  job_store a(*db1), b(*db2);
  const int rounds = 30;
  const int64_t id = merging_job(a, rounds * 4, 1);
  auto open = a.open_batches(id, phase::merge);
  BOOST_REQUIRE(open.size() == static_cast<std::size_t>(rounds * 4));
  int errors = 0, twice = 0, never = 0;
  for (int r = 0; r < rounds; ++r) {
    // a: batches 0,1,2 of the round; b: 3,2,1 (shared: 1 and 2, given in the other order).
    const auto* q = &open[r * 4];
    std::vector<bool> ra, rb;
    auto results = race(
        {[&] {
           ra = a.complete_batches(
               {merge_result(q[0], 1, "a"), merge_result(q[1], 1, "a"), merge_result(q[2], 1, "a")},
               "a", "na");
           return true;
         },
         [&] {
           rb = b.complete_batches(
               {merge_result(q[3], 1, "b"), merge_result(q[2], 1, "b"), merge_result(q[1], 1, "b")},
               "b", "nb");
           return true;
         }});
    for (const auto& o : results)
      if (!o.error.empty()) {
        ++errors;
        BOOST_TEST_MESSAGE("round " << r << ": " << o.error);
      }
    if (ra.size() != 3 || rb.size() != 3) continue;
    // Each side's own batch is taken; each shared batch by exactly one side.
    if (!ra[0] || !rb[0]) ++never;
    const std::pair<bool, bool> shared[] = {{ra[1], rb[2]}, {ra[2], rb[1]}};
    for (auto [x, y] : shared) {
      if (x && y) ++twice;
      if (!x && !y) ++never;
    }
  }
  BOOST_TEST(errors == 0);
  BOOST_TEST(twice == 0);
  BOOST_TEST(never == 0);
  BOOST_TEST(rows_of_job(*db1, "content", id) == rounds * 4);
  BOOST_TEST(a.job(id).batches_done == rounds * 4);
}

BOOST_AUTO_TEST_CASE(set_attempts_moves_several_batches_in_one_fenced_transaction) {
  fresh_database fresh;
  auto db = fresh.open();
  master_store m(*db);
  auto token = m.take_over("a", std::chrono::hours(1), "test");
  BOOST_REQUIRE(token.has_value());
  job_store plain(*db);
  job_store fenced(*db, write_fence{"a", *token});
  const int64_t id = merging_job(plain, 40, 10);
  BOOST_REQUIRE(
      plain.complete_merge(content_of(plain.open_batches(id, phase::merge)[2], 1, "e"), "e", "n"));
  fenced.set_attempts(
      {{id, phase::merge, 0, 2}, {id, phase::merge, 1, 3}, {id, phase::merge, 2, 2}});
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "attempt") == "2");
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "attempt") == "3");
  // A done batch keeps its attempt, and an attempt never goes down.
  BOOST_TEST(batch_column(*db, id, phase::merge, 2, "attempt") == "1");
  BOOST_TEST(batch_column(*db, id, phase::merge, 2, "state") == "done");
  fenced.set_attempts({{id, phase::merge, 1, 2}});
  BOOST_TEST(batch_column(*db, id, phase::merge, 1, "attempt") == "3");
  // Another master took over: the whole group is refused and nothing changes.
  BOOST_REQUIRE(m.step_down("a", *token, "test", true));
  BOOST_REQUIRE(m.take_over("b", std::chrono::hours(1), "test").has_value());
  bool refused = false;
  try {
    fenced.set_attempts({{id, phase::merge, 0, 5}, {id, phase::merge, 3, 5}});
  } catch (const storage_error& e) {
    refused = e.code == errc::fenced;
  }
  BOOST_TEST(refused);
  BOOST_TEST(batch_column(*db, id, phase::merge, 0, "attempt") == "2");
  BOOST_TEST(batch_column(*db, id, phase::merge, 3, "attempt") == "1");
}
