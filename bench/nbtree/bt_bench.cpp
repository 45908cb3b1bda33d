// B+tree throughput side by side with PostgreSQL 15: CREATE INDEX on N int8 keys in random
// order (Keel: BtBuild from a heap through TableIndexBuildSource), point lookups per second
// (index scan + heap fetch; PostgreSQL: a prepared SELECT ... WHERE k = $1), and inserts per
// second into an indexed table with random and with sequential keys (batched transactions).
// Keel runs in a real server's shared state (tests/server harness) and calls the storage API
// in-process; PostgreSQL is reached through SQL and libpq. See bench/README.md ("nbtree").
#include <time.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/index_tuple.h"
#include "access/common/tuple_desc.h"
#include "access/heap/heapam.h"
#include "access/index/index_build.h"
#include "access/nbtree/nbtree.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace {

using namespace keel;  // NOLINT: benchmark program
using access::Datum;
using access::Int64GetDatum;

double NowS() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Options {
  int64_t rows = 10'000'000;     // CREATE INDEX / lookup table size
  int64_t lookups = 200'000;
  int64_t inserts = 1'000'000;   // per insert run
  int64_t batch = 10'000;        // rows per transaction for inserts
  int reps = 3;                  // CREATE INDEX repetitions (median)
  std::string pg;                // conninfo of a PostgreSQL server to compare with
};

struct Figures {
  double create_index_s = 0;
  double lookups_per_s = 0;
  double random_inserts_per_s = 0;
  double seq_inserts_per_s = 0;
};

// CPU seconds used by this process (user + system).
double CpuS() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---- Keel ----------------------------------------------------------------------------------

struct KeelTable {
  access::TupleDesc desc{{access::AttributeForType("k", access::type_oid::kInt8)}};
  access::IndexKeyDesc keys;
  access::Relation heap;
  explicit KeelTable(uint32_t rel) {
    keys.tupdesc = &desc;
    keys.keys.push_back(access::IndexKeyColumnForType(access::type_oid::kInt8));
    keys.names = {"k"};
    heap = testing::ServerHarness::TestRelation(rel, "bt_bench");
    heap.desc = &desc;
    transam::StartTransaction();
    access::HeapCreateStorage(heap);
    transam::CommitTransaction();
  }
  access::nbtree::BtIndex Index(uint32_t rel) const {
    return {testing::ServerHarness::TestRelation(rel, "bt_bench_k"), &keys, false};
  }
  storage::ItemPointer InsertHeap(int64_t k, CommandId cid) const {
    const Datum v = Int64GetDatum(k);
    const bool n = false;
    access::HeapTuple t = access::HeapFormTuple(desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
    return access::HeapInsert(heap, t, cid);
  }
};

// Inserts keys into heap + index, one transaction per batch; returns rows per second.
double KeelInserts(const Options& o, const std::vector<int64_t>& keys, uint32_t rel) {
  KeelTable t(rel);
  const access::nbtree::BtIndex index = t.Index(rel + 1);
  transam::StartTransaction();
  access::nbtree::BtCreateIndex(index);
  transam::CommitTransaction();
  const double start = NowS();
  for (size_t done = 0; done < keys.size();) {
    transam::StartTransaction();
    const CommandId cid = transam::GetCurrentCommandId(true);
    const size_t end = std::min(keys.size(), done + static_cast<size_t>(o.batch));
    for (; done < end; ++done) {
      const storage::ItemPointer tid = t.InsertHeap(keys[done], cid);
      const Datum v = Int64GetDatum(keys[done]);
      const bool n = false;
      access::nbtree::BtInsert(index, &t.heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
    }
    transam::CommitTransaction();
  }
  return static_cast<double>(keys.size()) / (NowS() - start);
}

// The Keel side: a heap of the keys, builds of its index, lookups through the last build.
class KeelSide {
 public:
  KeelSide(const Options& o, const std::vector<int64_t>& keys) : o_(o), keys_(keys), t_(30000) {
    for (size_t done = 0; done < keys.size();) {
      transam::StartTransaction();
      const CommandId cid = transam::GetCurrentCommandId(true);
      const size_t end = std::min(keys.size(), done + size_t{100'000});
      for (; done < end; ++done) (void)t_.InsertHeap(keys[done], cid);
      transam::CommitTransaction();
    }
    // One scan sets hint bits (PostgreSQL's table is VACUUMed before its CREATE INDEX).
    transam::StartTransaction();
    access::HeapScan scan(t_.heap, transam::GetTransactionSnapshot());
    access::HeapTupleView v;
    while (scan.Next(&v)) {
    }
    transam::CommitTransaction();
    info_.heap_attnos = {1};
    info_.key_columns = 1;
  }

  // CREATE INDEX into a fresh relfilenode: table scan, sort, load, sync; wall seconds.
  double Build(int rep) {
    index_ = t_.Index(30001 + static_cast<uint32_t>(rep));
    transam::StartTransaction();
    (void)transam::GetCurrentTransactionId();  // CREATE INDEX writes catalog rows: an xid
    const double start = NowS();
    const double cpu_start = CpuS();
    access::TableIndexBuildSource source(t_.heap, info_, transam::GetTransactionSnapshot());
    const access::nbtree::BtBuildStats stats = access::nbtree::BtBuild(index_, source);
    transam::CommitTransaction();
    const double s = NowS() - start;
    if (stats.index_tuples != keys_.size()) {
      fprintf(stderr, "built %llu entries\n", static_cast<unsigned long long>(stats.index_tuples));
      std::exit(1);
    }
    printf("  keel CREATE INDEX rep %d: %.3f s, cpu %.3f s (scan+sort %.3f, merge+load %.3f, sync %.3f; "
           "%llu pages, %u levels, %llu sort runs)\n",
           rep, s, CpuS() - cpu_start, stats.sort_seconds, stats.load_seconds, stats.sync_seconds,
           static_cast<unsigned long long>(stats.pages), stats.levels,
           static_cast<unsigned long long>(stats.sort_runs));
    fflush(stdout);
    return s;
  }

  // Equality scan + heap fetch per probe; lookups per second.
  double Lookups(const std::vector<int64_t>& probes) {
    transam::StartTransaction();
    const transam::Snapshot& snap = transam::GetTransactionSnapshot();
    const double start = NowS();
    int64_t found = 0;
    for (const int64_t k : probes) {
      access::nbtree::BtScan scan(index_, {{0, access::nbtree::BtStrategy::kEqual, Int64GetDatum(k)}});
      storage::ItemPointer tid;
      while (scan.Next(&tid)) {
        access::HeapTuple tuple;
        if (access::HeapHotSearch(t_.heap, snap, tid, &tuple)) ++found;
      }
    }
    const double per_s = static_cast<double>(probes.size()) / (NowS() - start);
    transam::CommitTransaction();
    if (found < static_cast<int64_t>(probes.size())) {
      fprintf(stderr, "lookups found %lld of %zu\n", static_cast<long long>(found), probes.size());
      std::exit(1);
    }
    return per_s;
  }

  double Inserts(const std::vector<int64_t>& keys, uint32_t rel) { return KeelInserts(o_, keys, rel); }

 private:
  const Options& o_;
  const std::vector<int64_t>& keys_;
  KeelTable t_;
  access::IndexInfo info_;
  access::nbtree::BtIndex index_;
};

// ---- PostgreSQL ------------------------------------------------------------------------------

void Exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    fprintf(stderr, "%s: %s", sql.substr(0, 200).c_str(), PQerrorMessage(conn));
    std::exit(1);
  }
  PQclear(res);
}

// The keys as an int8[] literal.
std::string ArrayLiteral(const std::vector<int64_t>& keys, size_t from, size_t to) {
  std::string s = "{";
  for (size_t i = from; i < to; ++i) {
    if (i > from) s += ',';
    s += std::to_string(keys[i]);
  }
  return s + "}";
}

// Loads `keys` into `table` through COPY-free batched INSERT ... SELECT unnest($1).
void PgLoad(PGconn* conn, const std::string& table, const std::vector<int64_t>& keys, size_t batch) {
  for (size_t done = 0; done < keys.size(); done += batch) {
    const std::string arr = ArrayLiteral(keys, done, std::min(keys.size(), done + batch));
    const char* params[1] = {arr.c_str()};
    PGresult* res = PQexecParams(conn, ("INSERT INTO " + table + " SELECT unnest($1::int8[])").c_str(), 1,
                                 nullptr, params, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      fprintf(stderr, "insert: %s", PQerrorMessage(conn));
      std::exit(1);
    }
    PQclear(res);
  }
}

double PgInserts(PGconn* conn, const Options& o, const std::vector<int64_t>& keys) {
  Exec(conn, "DROP TABLE IF EXISTS bt_bench_ins");
  Exec(conn, "CREATE TABLE bt_bench_ins (k int8)");
  Exec(conn, "CREATE INDEX ON bt_bench_ins (k)");
  const double start = NowS();
  PgLoad(conn, "bt_bench_ins", keys, static_cast<size_t>(o.batch));
  const double s = NowS() - start;
  Exec(conn, "DROP TABLE bt_bench_ins");
  return static_cast<double>(keys.size()) / s;
}

// The PostgreSQL side: the same keys in a table, CREATE INDEX, prepared lookups, inserts.
class PgSide {
 public:
  PgSide(const Options& o, const std::vector<int64_t>& keys) : o_(o) {
    conn_ = PQconnectdb(o.pg.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      fprintf(stderr, "%s", PQerrorMessage(conn_));
      std::exit(1);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
    Exec(conn_, "SET synchronous_commit = on");
    Exec(conn_, "DROP TABLE IF EXISTS bt_bench");
    Exec(conn_, "CREATE TABLE bt_bench (k int8)");
    PgLoad(conn_, "bt_bench", keys, 100'000);
    Exec(conn_, "VACUUM ANALYZE bt_bench");
  }
  ~PgSide() {
    Exec(conn_, "DROP TABLE IF EXISTS bt_bench");
    PQfinish(conn_);
  }

  double Build(int rep) {
    Exec(conn_, "DROP INDEX IF EXISTS bt_bench_k");
    Exec(conn_, "CHECKPOINT");
    const double start = NowS();
    Exec(conn_, "CREATE INDEX bt_bench_k ON bt_bench (k)");
    const double s = NowS() - start;
    printf("  postgres CREATE INDEX rep %d: %.3f s\n", rep, s);
    fflush(stdout);
    return s;
  }

  double Lookups(const std::vector<int64_t>& probes) {
    PGresult* prep = PQprepare(conn_, "lookup", "SELECT k FROM bt_bench WHERE k = $1", 1, nullptr);
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
      fprintf(stderr, "prepare: %s", PQerrorMessage(conn_));
      std::exit(1);
    }
    PQclear(prep);
    const double start = NowS();
    int64_t found = 0;
    for (const int64_t k : probes) {
      const std::string arg = std::to_string(k);
      const char* params[1] = {arg.c_str()};
      PGresult* res = PQexecPrepared(conn_, "lookup", 1, params, nullptr, nullptr, 0);
      if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "lookup: %s", PQerrorMessage(conn_));
        std::exit(1);
      }
      found += PQntuples(res);
      PQclear(res);
    }
    const double per_s = static_cast<double>(probes.size()) / (NowS() - start);
    if (found < static_cast<int64_t>(probes.size())) {
      fprintf(stderr, "postgres lookups found %lld of %zu\n", static_cast<long long>(found), probes.size());
      std::exit(1);
    }
    return per_s;
  }

  double Inserts(const std::vector<int64_t>& keys) { return PgInserts(conn_, o_, keys); }

 private:
  const Options& o_;
  PGconn* conn_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rows") o.rows = atoll(argv[i + 1]);
    else if (flag == "--lookups") o.lookups = atoll(argv[i + 1]);
    else if (flag == "--inserts") o.inserts = atoll(argv[i + 1]);
    else if (flag == "--batch") o.batch = atoll(argv[i + 1]);
    else if (flag == "--reps") o.reps = atoi(argv[i + 1]);
    else if (flag == "--pg") o.pg = argv[i + 1];
    else {
      fprintf(stderr,
              "usage: bt_bench [--rows N] [--lookups N] [--inserts N] [--batch N] [--reps N] [--pg conninfo]\n");
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || o.rows <= 0 || o.reps <= 0 || o.batch <= 0) {
    fprintf(stderr, "bt_bench: bad arguments\n");
    return 2;
  }
  // The same data for both systems: random int8 keys (distinct with overwhelming probability),
  // probes drawn from them, and the insert workloads.
  std::mt19937_64 rng(20240601);
  std::vector<int64_t> keys(static_cast<size_t>(o.rows));
  for (int64_t& k : keys) k = static_cast<int64_t>(rng() >> 1);
  std::vector<int64_t> probes(static_cast<size_t>(o.lookups));
  for (int64_t& p : probes) p = keys[rng() % keys.size()];
  std::vector<int64_t> random_ins(static_cast<size_t>(o.inserts));
  for (int64_t& k : random_ins) k = static_cast<int64_t>(rng() >> 1);
  std::vector<int64_t> seq_ins(static_cast<size_t>(o.inserts));
  for (size_t i = 0; i < seq_ins.size(); ++i) seq_ins[i] = static_cast<int64_t>(i);

  testing::HarnessOptions harness_options;
  harness_options.shared_buffers_pages = 16384;  // 128 MB: PostgreSQL's default shared_buffers
  harness_options.fsync = true;
  testing::ServerHarness server(harness_options);
  printf("rows %lld, lookups %lld, inserts %lld (batch %lld), CREATE INDEX reps %d (median)\n",
         static_cast<long long>(o.rows), static_cast<long long>(o.lookups), static_cast<long long>(o.inserts),
         static_cast<long long>(o.batch), o.reps);
  fflush(stdout);
  // Interleaved, so that both sides see the same machine load (the host is shared).
  KeelSide keel(o, keys);
  std::unique_ptr<PgSide> pg;
  if (!o.pg.empty()) pg = std::make_unique<PgSide>(o, keys);
  Figures k, p;
  std::vector<double> keel_times, pg_times;
  for (int rep = 0; rep < o.reps; ++rep) {
    keel_times.push_back(keel.Build(rep));
    if (pg) pg_times.push_back(pg->Build(rep));
  }
  k.create_index_s = Median(keel_times);
  k.lookups_per_s = keel.Lookups(probes);
  k.random_inserts_per_s = keel.Inserts(random_ins, 30100);
  k.seq_inserts_per_s = keel.Inserts(seq_ins, 30200);
  printf("keel:     CREATE INDEX %.3f s, lookups %.0f/s, inserts random %.0f/s, sequential %.0f/s\n",
         k.create_index_s, k.lookups_per_s, k.random_inserts_per_s, k.seq_inserts_per_s);
  fflush(stdout);
  if (pg) {
    p.create_index_s = Median(pg_times);
    p.lookups_per_s = pg->Lookups(probes);
    p.random_inserts_per_s = pg->Inserts(random_ins);
    p.seq_inserts_per_s = pg->Inserts(seq_ins);
    printf("postgres: CREATE INDEX %.3f s, lookups %.0f/s, inserts random %.0f/s, sequential %.0f/s\n",
           p.create_index_s, p.lookups_per_s, p.random_inserts_per_s, p.seq_inserts_per_s);
    printf("keel vs postgres (> 1: keel faster): CREATE INDEX %.2f, lookups %.2f, inserts random %.2f, "
           "sequential %.2f\n",
           p.create_index_s / k.create_index_s, k.lookups_per_s / p.lookups_per_s,
           k.random_inserts_per_s / p.random_inserts_per_s, k.seq_inserts_per_s / p.seq_inserts_per_s);
  }
  return 0;
}
