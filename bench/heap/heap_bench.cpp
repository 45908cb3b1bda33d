// The heap access method's throughput: rows inserted per second (one transaction per batch)
// and rows returned per second by a sequential scan over a cached table, in a real server's
// shared state (tests/server harness: buffer pool, WAL with fsync, transactions). With
// --pg "<conninfo>" the same table shape is loaded and scanned in PostgreSQL through SQL for a
// side-by-side figure. See bench/README.md ("Heap").
#include <time.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "access/heap/heapam.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace {

using namespace keel;  // NOLINT: benchmark program

double NowS() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Options {
  int64_t rows = 1'000'000;
  int64_t batch = 10'000;  // rows per transaction
  int reps = 3;
  std::string pg;          // conninfo of a PostgreSQL server to compare with
};

// (k int8, v int8): the same row shape as the PostgreSQL table.
access::HeapTuple Row(int64_t k) {
  constexpr size_t kData = 32;
  access::HeapTuple tuple(kData + 16);
  memset(tuple.data(), 0, tuple.size());
  tuple.header()->infomask2 = 2;
  tuple.header()->hoff = kData;
  memcpy(tuple.data() + kData, &k, 8);
  memcpy(tuple.data() + kData + 8, &k, 8);
  return tuple;
}

struct Figures {
  double insert_rows_per_s;
  double scan_rows_per_s;
};

Figures RunKeel(const Options& options, uint32_t rel_number) {
  access::Relation rel = testing::ServerHarness::TestRelation(rel_number, "bench");
  transam::StartTransaction();
  access::HeapCreateStorage(rel);
  transam::CommitTransaction();
  double start = NowS();
  for (int64_t done = 0; done < options.rows;) {
    transam::StartTransaction();
    CommandId cid = transam::GetCurrentCommandId(true);
    int64_t end = std::min(options.rows, done + options.batch);
    for (; done < end; ++done) {
      access::HeapTuple tuple = Row(done);
      (void)access::HeapInsert(rel, tuple, cid);
    }
    transam::CommitTransaction();
  }
  double insert_s = NowS() - start;

  double best_scan = 1e30;
  for (int pass = 0; pass < 3; ++pass) {  // the first pass also sets hint bits
    transam::StartTransaction();
    start = NowS();
    access::HeapScan scan(rel, transam::GetTransactionSnapshot());
    access::HeapTupleView view;
    int64_t n = 0;
    int64_t sum = 0;
    while (scan.Next(&view)) {
      int64_t k;
      memcpy(&k, reinterpret_cast<const std::byte*>(view.header) + view.header->hoff, 8);
      sum += k;
      ++n;
    }
    double s = NowS() - start;
    transam::CommitTransaction();
    if (n != options.rows || sum != options.rows * (options.rows - 1) / 2) {
      fprintf(stderr, "scan saw %lld rows\n", static_cast<long long>(n));
      std::exit(1);
    }
    if (pass > 0) best_scan = std::min(best_scan, s);
  }
  return {static_cast<double>(options.rows) / insert_s, static_cast<double>(options.rows) / best_scan};
}

void Exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    fprintf(stderr, "%s: %s", sql.c_str(), PQerrorMessage(conn));
    std::exit(1);
  }
  PQclear(res);
}

Figures RunPostgres(const Options& options) {
  PGconn* conn = PQconnectdb(options.pg.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "%s", PQerrorMessage(conn));
    std::exit(1);
  }
  Exec(conn, "SET max_parallel_workers_per_gather = 0");
  Exec(conn, "SET synchronous_commit = on");
  Exec(conn, "DROP TABLE IF EXISTS heap_bench");
  Exec(conn, "CREATE TABLE heap_bench (k int8, v int8)");
  double start = NowS();
  for (int64_t done = 0; done < options.rows; done += options.batch) {
    int64_t end = std::min(options.rows, done + options.batch);
    Exec(conn, "INSERT INTO heap_bench SELECT g, g FROM generate_series(" + std::to_string(done) +
                   "," + std::to_string(end - 1) + ") g");
  }
  double insert_s = NowS() - start;
  double best_scan = 1e30;
  for (int pass = 0; pass < 3; ++pass) {
    start = NowS();
    Exec(conn, "SELECT sum(k) FROM heap_bench");
    if (pass > 0) best_scan = std::min(best_scan, NowS() - start);
  }
  Exec(conn, "DROP TABLE heap_bench");
  PQfinish(conn);
  return {static_cast<double>(options.rows) / insert_s, static_cast<double>(options.rows) / best_scan};
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rows") options.rows = atoll(argv[i + 1]);
    else if (flag == "--batch") options.batch = atoll(argv[i + 1]);
    else if (flag == "--reps") options.reps = atoi(argv[i + 1]);
    else if (flag == "--pg") options.pg = argv[i + 1];
    else {
      fprintf(stderr, "usage: heap_bench [--rows N] [--batch N] [--reps N] [--pg conninfo]\n");
      return 2;
    }
  }
  keel::testing::HarnessOptions harness_options;
  harness_options.shared_buffers_pages = 32768;  // 256 MB: the table stays cached
  harness_options.fsync = true;
  keel::testing::ServerHarness server(harness_options);
  std::vector<Figures> keel_runs;
  std::vector<Figures> pg_runs;
  for (int rep = 0; rep < options.reps; ++rep) {
    keel_runs.push_back(RunKeel(options, 20000 + static_cast<uint32_t>(rep)));
    if (!options.pg.empty()) pg_runs.push_back(RunPostgres(options));
  }
  auto median = [](std::vector<Figures> runs, double Figures::*field) {
    std::sort(runs.begin(), runs.end(),
              [field](const Figures& a, const Figures& b) { return a.*field < b.*field; });
    return runs[runs.size() / 2].*field;
  };
  printf("rows %lld, batch %lld, %d reps (median)\n", static_cast<long long>(options.rows),
         static_cast<long long>(options.batch), options.reps);
  printf("keel heap AM: insert %.0f rows/s, seq scan %.0f rows/s\n",
         median(keel_runs, &Figures::insert_rows_per_s), median(keel_runs, &Figures::scan_rows_per_s));
  if (!pg_runs.empty()) {
    double pg_insert = median(pg_runs, &Figures::insert_rows_per_s);
    double pg_scan = median(pg_runs, &Figures::scan_rows_per_s);
    printf("postgres SQL: insert %.0f rows/s, seq scan %.0f rows/s\n", pg_insert, pg_scan);
    printf("keel / postgres: insert %.2f, scan %.2f\n",
           median(keel_runs, &Figures::insert_rows_per_s) / pg_insert,
           median(keel_runs, &Figures::scan_rows_per_s) / pg_scan);
  }
  return 0;
}
