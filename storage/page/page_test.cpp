// Page tests: layout after PageInit, adding items (append, insert with shifting, overwrite,
// reuse of unused line pointers), deleting, defragmenting, free space accounting, header
// validation and checksums (every single-bit flip, wrong block). See README.md (PG1-PG6).
#include "storage/page/page.h"

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/utils/error/error.h"

namespace keel::storage {
namespace {

// A page-sized, suitably aligned buffer.
struct alignas(4096) PageBuf {
  std::byte bytes[kBlockSize];
  Page get() { return bytes; }
};

std::string Item(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (seed * 7 + i) % 26);
  return s;
}

std::string ItemAt(Page page, OffsetNumber off) {
  LinePointer* lp = PageGetLinePointer(page, off);
  EXPECT_EQ(lp->state, static_cast<uint32_t>(LinePointerState::kNormal));
  return std::string(reinterpret_cast<const char*>(PageGetItem(page, lp)), lp->length);
}

OffsetNumber Add(Page page, const std::string& s, OffsetNumber off = kInvalidOffsetNumber,
                 bool overwrite = false, bool reuse = false) {
  return PageAddItem(page, s.data(), s.size(), off, overwrite, reuse);
}

TEST(PageTest, InitLayout) {
  PageBuf buf;
  std::memset(buf.bytes, 0xAB, sizeof(buf.bytes));
  PageInit(buf.get(), 13);  // MAXALIGNed to 16
  const PageHeader* h = GetPageHeader(buf.get());
  EXPECT_EQ(h->lower, 32);
  EXPECT_EQ(h->upper, kBlockSize - 16);
  EXPECT_EQ(h->special, kBlockSize - 16);
  EXPECT_EQ(h->layout_version, kPageLayoutVersion);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->lsn, 0u);
  EXPECT_EQ(h->checksum, 0u);
  EXPECT_EQ(PageGetSpecial(buf.get()), buf.bytes + kBlockSize - 16);
  EXPECT_EQ(PageGetSpecial(buf.get())[0], std::byte{0});  // the rest is zeroed
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 0);
  EXPECT_EQ(PageGetFreeSpace(buf.get()), kBlockSize - 16 - 32 - 4);
  EXPECT_TRUE(PageHeaderIsValid(buf.get()));
  EXPECT_FALSE(PageIsNew(buf.get()));

  PageInit(buf.get(), 0);
  EXPECT_EQ(GetPageHeader(buf.get())->special, kBlockSize);
  EXPECT_EQ(PageGetFreeSpace(buf.get()), kBlockSize - 32 - 4);
}

TEST(PageTest, NewPageIsAllZeros) {
  PageBuf buf;
  std::memset(buf.bytes, 0, sizeof(buf.bytes));
  EXPECT_TRUE(PageIsNew(buf.bytes));
  EXPECT_FALSE(PageHeaderIsValid(buf.bytes));  // a new page has no header yet (PG6)
  buf.bytes[kBlockSize - 1] = std::byte{1};    // any byte makes it not new
  EXPECT_FALSE(PageIsNew(buf.bytes));
}

TEST(PageTest, LsnRoundTrip) {
  PageBuf buf;
  PageInit(buf.get(), 0);
  PageSetLsn(buf.get(), Lsn(0x123456789ABCull));
  EXPECT_EQ(PageGetLsn(buf.get()), Lsn(0x123456789ABCull));
  uint64_t raw;
  std::memcpy(&raw, buf.bytes, 8);  // PG1: the LSN is the first 8 bytes
  EXPECT_EQ(raw, 0x123456789ABCull);
}

TEST(PageTest, LinePointerBitLayout) {
  LinePointer lp{};
  lp.offset = 0x1234;
  lp.state = static_cast<uint32_t>(LinePointerState::kDead);
  lp.length = 0x0ABC;
  uint32_t raw;
  std::memcpy(&raw, &lp, 4);
  // PG1: offset in bits 0-14, state in 15-16, length in 17-31.
  EXPECT_EQ(raw, 0x1234u | (3u << 15) | (0x0ABCu << 17));
}

TEST(PageTest, HeaderValidation) {
  PageBuf buf;
  PageInit(buf.get(), 8);
  ASSERT_TRUE(PageHeaderIsValid(buf.get()));
  PageHeader* h = GetPageHeader(buf.get());
  const PageHeader saved = *h;
  auto expect_invalid = [&](auto mutate) {
    *h = saved;
    mutate(h);
    EXPECT_FALSE(PageHeaderIsValid(buf.get()));
  };
  expect_invalid([](PageHeader* p) { p->lower = 16; });
  expect_invalid([](PageHeader* p) { p->lower = p->upper + 4; });
  expect_invalid([](PageHeader* p) { p->upper = p->special + 8; });
  expect_invalid([](PageHeader* p) { p->special = kBlockSize + 8; p->upper = kBlockSize + 8; });
  expect_invalid([](PageHeader* p) { p->special = kBlockSize - 4; p->upper = kBlockSize - 4; });
  expect_invalid([](PageHeader* p) { p->upper = p->upper - 4; });
  expect_invalid([](PageHeader* p) { p->lower = 34; });
  expect_invalid([](PageHeader* p) { p->layout_version = 2; });
  expect_invalid([](PageHeader* p) { p->flags = 0x0100; });
  *h = saved;
  h->flags = kPageAllVisible | kPageFull | kPageHasFreeLinePointers;
  EXPECT_TRUE(PageHeaderIsValid(buf.get()));
}

TEST(PageTest, AppendItemsAndAccounting) {
  PageBuf buf;
  PageInit(buf.get(), 0);
  const size_t sizes[] = {1, 7, 8, 9, 100, 333};
  size_t expected_upper = kBlockSize;
  for (int i = 0; i < 6; ++i) {
    const size_t before = PageGetFreeSpace(buf.get());
    const OffsetNumber off = Add(buf.get(), Item(sizes[i], i));
    ASSERT_EQ(off, i + 1);
    expected_upper -= MaxAlign(sizes[i]);
    EXPECT_EQ(GetPageHeader(buf.get())->upper, expected_upper);
    EXPECT_EQ(GetPageHeader(buf.get())->lower, 32 + 4 * (i + 1));
    EXPECT_EQ(before - PageGetFreeSpace(buf.get()), MaxAlign(sizes[i]) + 4);
    EXPECT_EQ(PageGetLinePointer(buf.get(), off)->offset % kMaxAlign, 0u);
  }
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ItemAt(buf.get(), i + 1), Item(sizes[i], i));
  EXPECT_TRUE(PageHeaderIsValid(buf.get()));
}

TEST(PageTest, FillsExactlyToFreeSpace) {
  PageBuf buf;
  PageInit(buf.get(), 24);
  int n = 0;
  while (PageGetFreeSpace(buf.get()) >= 200) {
    ASSERT_NE(Add(buf.get(), Item(200, n)), kInvalidOffsetNumber);
    ++n;
  }
  const size_t free_bytes = PageGetFreeSpace(buf.get());
  // One byte more than the free space does not fit; exactly the free space (aligned) does.
  EXPECT_EQ(Add(buf.get(), Item(free_bytes + 1, 0)), kInvalidOffsetNumber);
  const size_t fit = free_bytes & ~(kMaxAlign - 1);
  EXPECT_EQ(Add(buf.get(), Item(fit, 1)), n + 1);
  EXPECT_LT(PageGetFreeSpace(buf.get()), kMaxAlign);
  for (int i = 0; i < n; ++i) EXPECT_EQ(ItemAt(buf.get(), i + 1), Item(200, i));
  EXPECT_EQ(ItemAt(buf.get(), n + 1), Item(fit, 1));
}

TEST(PageTest, InsertAtOffsetShiftsLaterPointers) {
  PageBuf buf;
  PageInit(buf.get(), 16);
  ASSERT_EQ(Add(buf.get(), "aaa"), 1);
  ASSERT_EQ(Add(buf.get(), "bbb"), 2);
  ASSERT_EQ(Add(buf.get(), "ccc"), 3);
  ASSERT_EQ(Add(buf.get(), "XX", 2), 2);  // index-style insert in the middle
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 4);
  EXPECT_EQ(ItemAt(buf.get(), 1), "aaa");
  EXPECT_EQ(ItemAt(buf.get(), 2), "XX");
  EXPECT_EQ(ItemAt(buf.get(), 3), "bbb");
  EXPECT_EQ(ItemAt(buf.get(), 4), "ccc");
  ASSERT_EQ(Add(buf.get(), "first", 1), 1);
  EXPECT_EQ(ItemAt(buf.get(), 1), "first");
  EXPECT_EQ(ItemAt(buf.get(), 5), "ccc");
  ASSERT_EQ(Add(buf.get(), "last", 6), 6);  // == max + 1: append
  EXPECT_EQ(Add(buf.get(), "gap", 8), kInvalidOffsetNumber);  // beyond max + 1
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 6);
}

TEST(PageTest, OverwriteOnlyUnusedPointers) {
  PageBuf buf;
  PageInit(buf.get(), 0);
  ASSERT_EQ(Add(buf.get(), "one"), 1);
  ASSERT_EQ(Add(buf.get(), "two"), 2);
  EXPECT_EQ(Add(buf.get(), "new", 1, /*overwrite=*/true), kInvalidOffsetNumber);  // used
  LinePointer* lp = PageGetLinePointer(buf.get(), 1);
  lp->state = static_cast<uint32_t>(LinePointerState::kUnused);
  lp->length = 0;
  lp->offset = 0;
  const uint16_t lower = GetPageHeader(buf.get())->lower;
  ASSERT_EQ(Add(buf.get(), "new", 1, /*overwrite=*/true), 1);
  EXPECT_EQ(GetPageHeader(buf.get())->lower, lower);  // no new line pointer
  EXPECT_EQ(ItemAt(buf.get(), 1), "new");
  EXPECT_EQ(ItemAt(buf.get(), 2), "two");
  ASSERT_EQ(Add(buf.get(), "three", 3, /*overwrite=*/true), 3);  // overwrite at max+1 appends
}

TEST(PageTest, IndexTupleDeleteClosesBothGaps) {
  PageBuf buf;
  PageInit(buf.get(), 16);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Add(buf.get(), Item(10 + i * 11, i)), i + 1);
  const size_t free_before = PageGetFreeSpace(buf.get());
  PageIndexTupleDelete(buf.get(), 3);
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 4);
  EXPECT_EQ(PageGetFreeSpace(buf.get()), free_before + MaxAlign(10 + 2 * 11) + 4);
  EXPECT_EQ(ItemAt(buf.get(), 1), Item(10, 0));
  EXPECT_EQ(ItemAt(buf.get(), 2), Item(21, 1));
  EXPECT_EQ(ItemAt(buf.get(), 3), Item(43, 3));
  EXPECT_EQ(ItemAt(buf.get(), 4), Item(54, 4));
  // Items are still packed against the special space: upper + sum of sizes == special.
  size_t sum = 0;
  for (int i = 1; i <= 4; ++i) sum += MaxAlign(PageGetLinePointer(buf.get(), i)->length);
  EXPECT_EQ(GetPageHeader(buf.get())->upper + sum, GetPageHeader(buf.get())->special);
  PageIndexTupleDelete(buf.get(), 4);
  PageIndexTupleDelete(buf.get(), 1);
  EXPECT_EQ(ItemAt(buf.get(), 1), Item(21, 1));
  EXPECT_EQ(ItemAt(buf.get(), 2), Item(43, 3));
  EXPECT_TRUE(PageHeaderIsValid(buf.get()));
  EXPECT_THROW(PageIndexTupleDelete(buf.get(), 3), Error);
  EXPECT_THROW(PageIndexTupleDelete(buf.get(), 0), Error);
}

TEST(PageTest, RepairFragmentationKeepsOffsetsAndReusesPointers) {
  PageBuf buf;
  PageInit(buf.get(), 0);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(Add(buf.get(), Item(50 + i, i)), i + 1);
  // Heap-style removal: pointers 2 and 5 become unused, 7 dead without storage.
  for (int off : {2, 5}) {
    LinePointer* lp = PageGetLinePointer(buf.get(), off);
    lp->state = static_cast<uint32_t>(LinePointerState::kUnused);
    lp->length = 0;
  }
  LinePointer* dead = PageGetLinePointer(buf.get(), 7);
  dead->state = static_cast<uint32_t>(LinePointerState::kDead);
  dead->length = 0;
  dead->offset = 0;
  const size_t free_before = PageGetFreeSpace(buf.get());
  PageRepairFragmentation(buf.get());
  EXPECT_EQ(PageGetFreeSpace(buf.get()),
            free_before + MaxAlign(51) + MaxAlign(54) + MaxAlign(56));
  EXPECT_EQ(PageMaxOffsetNumber(buf.get()), 8);  // no renumbering (PG4)
  for (int off : {1, 3, 4, 6, 8}) EXPECT_EQ(ItemAt(buf.get(), off), Item(50 + off - 1, off - 1));
  EXPECT_NE(GetPageHeader(buf.get())->flags & kPageHasFreeLinePointers, 0);
  EXPECT_EQ(PageGetLinePointer(buf.get(), 7)->state,
            static_cast<uint32_t>(LinePointerState::kDead));

  // Unused pointers are reused first, in order, when asked.
  EXPECT_EQ(Add(buf.get(), "r1", kInvalidOffsetNumber, false, /*reuse_unused=*/true), 2);
  EXPECT_EQ(Add(buf.get(), "x", kInvalidOffsetNumber, false, /*reuse_unused=*/false), 9);
  EXPECT_EQ(Add(buf.get(), "r2", kInvalidOffsetNumber, false, true), 5);
  EXPECT_EQ(Add(buf.get(), "r3", kInvalidOffsetNumber, false, true), 10);  // none left
  EXPECT_EQ(GetPageHeader(buf.get())->flags & kPageHasFreeLinePointers, 0);
  PageRepairFragmentation(buf.get());  // nothing unused: the hint stays clear
  EXPECT_EQ(GetPageHeader(buf.get())->flags & kPageHasFreeLinePointers, 0);
  EXPECT_EQ(ItemAt(buf.get(), 2), "r1");
  EXPECT_EQ(ItemAt(buf.get(), 5), "r2");
}

TEST(PageTest, CorruptPointersAreRefused) {
  PageBuf buf;
  PageInit(buf.get(), 0);
  ASSERT_EQ(Add(buf.get(), "abc"), 1);
  GetPageHeader(buf.get())->upper = 10;  // below lower
  try {
    (void)Add(buf.get(), "x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "XX001");
    EXPECT_STREQ(e.what(), "corrupted page pointers: lower = 36, upper = 10, special = 8192");
  }
  EXPECT_THROW(PageRepairFragmentation(buf.get()), Error);
}

// Random heap- and index-style operations against a model of the page contents.
TEST(PageTest, RandomOperationsMatchModel) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    PageBuf buf;
    PageInit(buf.get(), (round % 3) * 8);
    std::vector<std::string> model;  // index-style: offsets are positions
    for (int step = 0; step < 400; ++step) {
      const int op = static_cast<int>(rng() % 3);
      if (op < 2) {
        const std::string s = Item(1 + rng() % 120, static_cast<int>(rng() % 100));
        const size_t pos = model.empty() ? 0 : rng() % (model.size() + 1);
        const PageHeader* h = GetPageHeader(buf.get());
        const bool fits = MaxAlign(s.size()) + 4 <= static_cast<size_t>(h->upper - h->lower);
        const OffsetNumber got =
            Add(buf.get(), s, static_cast<OffsetNumber>(pos + 1), false, false);
        if (fits) {
          ASSERT_EQ(got, pos + 1);
          model.insert(model.begin() + static_cast<long>(pos), s);
        } else {
          ASSERT_EQ(got, kInvalidOffsetNumber);
        }
      } else if (!model.empty()) {
        const size_t pos = rng() % model.size();
        PageIndexTupleDelete(buf.get(), static_cast<OffsetNumber>(pos + 1));
        model.erase(model.begin() + static_cast<long>(pos));
      }
      ASSERT_EQ(PageMaxOffsetNumber(buf.get()), static_cast<int>(model.size()));
    }
    size_t used = 0;
    for (size_t i = 0; i < model.size(); ++i) {
      ASSERT_EQ(ItemAt(buf.get(), static_cast<OffsetNumber>(i + 1)), model[i]);
      used += MaxAlign(model[i].size());
    }
    EXPECT_EQ(GetPageHeader(buf.get())->upper + used, GetPageHeader(buf.get())->special);
    EXPECT_TRUE(PageHeaderIsValid(buf.get()));
  }
}

TEST(PageTest, RandomHeapDefragmentationMatchesModel) {
  std::mt19937 rng(777);
  for (int round = 0; round < 50; ++round) {
    PageBuf buf;
    PageInit(buf.get(), 0);
    std::map<OffsetNumber, std::string> model;
    for (int step = 0; step < 300; ++step) {
      const int op = static_cast<int>(rng() % 4);
      if (op <= 1) {
        const std::string s = Item(1 + rng() % 200, static_cast<int>(rng() % 100));
        const OffsetNumber off =
            PageAddItem(buf.get(), s.data(), s.size(), kInvalidOffsetNumber, false, true);
        if (off != kInvalidOffsetNumber) {
          ASSERT_EQ(model.count(off), 0u);
          model[off] = s;
        }
      } else if (op == 2 && !model.empty()) {
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng() % model.size()));
        LinePointer* lp = PageGetLinePointer(buf.get(), it->first);
        lp->state = static_cast<uint32_t>(LinePointerState::kUnused);
        lp->length = 0;
        model.erase(it);
      } else {
        PageRepairFragmentation(buf.get());
      }
    }
    PageRepairFragmentation(buf.get());
    size_t used = 0;
    for (const auto& [off, s] : model) {
      ASSERT_EQ(ItemAt(buf.get(), off), s);
      used += MaxAlign(s.size());
    }
    EXPECT_EQ(GetPageHeader(buf.get())->upper + used, kBlockSize);
  }
}

TEST(PageTest, ChecksumRoundTripAndZeroPage) {
  PageBuf buf;
  std::memset(buf.bytes, 0, sizeof(buf.bytes));
  EXPECT_TRUE(PageVerifyChecksum(buf.bytes, BlockNumber(5)));  // new page (PG6)
  PageInit(buf.get(), 0);
  ASSERT_EQ(Add(buf.get(), "hello"), 1);
  EXPECT_FALSE(PageVerifyChecksum(buf.bytes, BlockNumber(5)));  // not stamped: checksum 0
  PageSetChecksum(buf.get(), BlockNumber(5));
  EXPECT_NE(GetPageHeader(buf.get())->checksum, 0u);
  EXPECT_TRUE(PageVerifyChecksum(buf.bytes, BlockNumber(5)));
  // Stamping again gives the same value: the checksum field itself is not covered.
  const uint32_t first = GetPageHeader(buf.get())->checksum;
  PageSetChecksum(buf.get(), BlockNumber(5));
  EXPECT_EQ(GetPageHeader(buf.get())->checksum, first);
}

TEST(PageTest, ChecksumCatchesWrongBlock) {
  PageBuf buf;
  PageInit(buf.get(), 16);
  ASSERT_EQ(Add(buf.get(), Item(300, 1)), 1);
  PageSetChecksum(buf.get(), BlockNumber(1000));
  EXPECT_TRUE(PageVerifyChecksum(buf.bytes, BlockNumber(1000)));
  for (uint32_t b : {0u, 999u, 1001u, 1000u + kBlocksPerSegment, 0xFFFFFFFEu}) {
    EXPECT_FALSE(PageVerifyChecksum(buf.bytes, BlockNumber(b))) << b;
  }
}

TEST(PageTest, ChecksumCatchesEverySingleBitFlip) {
  PageBuf buf;
  PageInit(buf.get(), 32);
  for (int i = 0; i < 20; ++i) ASSERT_NE(Add(buf.get(), Item(37 + i * 13, i)), 0);
  PageSetLsn(buf.get(), Lsn(0xDEADBEEF));
  const BlockNumber block(42);
  PageSetChecksum(buf.get(), block);
  ASSERT_TRUE(PageVerifyChecksum(buf.bytes, block));
  int missed = 0;
  for (size_t bit = 0; bit < kBlockSize * 8; ++bit) {
    buf.bytes[bit / 8] ^= std::byte(1u << (bit % 8));
    if (PageVerifyChecksum(buf.bytes, block)) ++missed;
    buf.bytes[bit / 8] ^= std::byte(1u << (bit % 8));
  }
  EXPECT_EQ(missed, 0);
  EXPECT_TRUE(PageVerifyChecksum(buf.bytes, block));
}

}  // namespace
}  // namespace keel::storage
