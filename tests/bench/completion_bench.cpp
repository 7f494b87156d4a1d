// The durable part of the scheduling overhead: how long one fenced batch
// completion (job_store::complete_merge) takes on a backend, alone, without
// actors or messages. scripts/bench_cluster.sh runs it next to the no-op
// engine figures so that the two parts of the overhead can be told apart.
//
// Then the scheduler's own writes with and without the master's write fence (docs/cluster.md
// "Master failover"): BATCHES writes of one batch's new attempt (set_attempts, the write a
// re-dispatch makes) by a job store that carries the fence of a held scheduler lease, then by
// one without (as before fencing). Only this bench makes an unfenced scheduler store on a
// database with a lease: a node's scheduler always carries its fence.
//
//   weft_completion_bench sqlite:/tmp/x.db [BATCHES]
//   weft_completion_bench mariadb://USER@HOST:PORT/DB PASSWORD_FILE [BATCHES]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "storage/database.hpp"
#include "storage/job_store.hpp"
#include "storage/master_store.hpp"
#include "storage/storage_error.hpp"

using namespace weft::storage;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr
        << "usage: weft_completion_bench sqlite:PATH [BATCHES]\n"
           "       weft_completion_bench mariadb://USER@HOST:PORT/DB PASSWORD_FILE [BATCHES]\n";
    return 2;
  }
  std::string url = argv[1];
  int next = 2;
  std::string password;
  if (url.rfind("mariadb://", 0) == 0) {
    if (argc < 3) return 2;
    std::ifstream in(argv[2]);
    std::getline(in, password);
    next = 3;
  }
  const int batches = argc > next ? std::stoi(argv[next]) : 3000;
  try {
    database_spec spec;
    if (url.rfind("sqlite:", 0) == 0) {
      spec.kind = backend_kind::sqlite;
      spec.sqlite_path = url.substr(7);
    } else {
      spec = parse_database_url(url, password);
    }
    auto db = database::open(spec, std::chrono::seconds(10));
    job_store store(*db);
    new_job j;
    j.template_path = "t";
    j.data_path = "d";
    j.data_format = "ndjson";
    j.options_json = "{}";
    auto id = store.create_job(j);
    store.set_state(id, job_state::mapping);
    std::vector<batch_row> rows;
    for (int i = 0; i < batches; ++i) {
      batch_row b;
      b.batch_no = i;
      b.first_seq = i + 1;
      b.last_seq = i + 1;
      rows.push_back(b);
    }
    store.finish_mapping(id, batches, rows);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < batches; ++i) {
      content_row c;
      c.job_id = id;
      c.batch_no = i;
      c.attempt = 1;
      c.records = 1;
      if (!store.complete_merge(c, "bench/merge/0", "bench"))
        throw std::runtime_error("a completion was refused");
    }
    auto us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::cout << "complete_merge: " << batches << " batches, " << static_cast<long>(us / batches)
              << " us per batch (" << describe(spec) << ")\n";
    // The scheduler's writes: fenced (the lease held, its token checked in each write's
    // transaction) against unfenced, alternating rounds so that both see the same load.
    master_store masters(*db);
    auto token = masters.take_over("bench", std::chrono::minutes(10), "bench");
    if (!token) throw std::runtime_error("the bench database's scheduler lease is held");
    // A second job whose batches are open (the first one's are all done now).
    auto open_job = store.create_job(j);
    store.set_state(open_job, job_state::mapping);
    store.finish_mapping(open_job, batches, rows);
    job_store fenced(*db, write_fence{"bench", *token});
    job_store unfenced(*db);
    double fenced_us = 0, unfenced_us = 0;
    int attempt = 1;
    const int rounds = 10, per_round = std::max(1, batches / rounds);
    for (int r = 0; r < rounds; ++r)
      for (auto* st : {&fenced, &unfenced}) {
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < per_round; ++i)
          st->set_attempts({{open_job, phase::merge, i % batches, ++attempt}});
        auto took = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                        .count();
        (st == &fenced ? fenced_us : unfenced_us) += took;
      }
    const int writes = rounds * per_round;
    std::cout << "scheduler writes (set_attempts of one batch): " << writes << " each, fenced "
              << static_cast<long>(fenced_us / writes) << " us, unfenced "
              << static_cast<long>(unfenced_us / writes) << " us per write (" << describe(spec)
              << ")\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "weft_completion_bench: " << e.what() << "\n";
    return 1;
  }
}
