// WalRecordBuilder: registering blocks and data, deciding full-page images, assembling the
// record header, block references and payload, and handing them to the inserter.
// Byte format and the full-page-image rule: README.md (W1-W6).
#include "access/transam/wal_record.h"

#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_shared_internal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/hash/crc32c.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"

namespace keel::transam {

using namespace internal;  // NOLINT: the format constants are this file's vocabulary

struct WalRecordBuilder::Impl {
  struct Block {
    bool in_use = false;
    uint8_t flags = 0;
    RelFileLocator rel{};
    ForkNumber fork = ForkNumber::kMain;
    BlockNumber block{};
    const std::byte* page = nullptr;   // the buffer's page or the caller's; read at Insert
    uint32_t data_bytes = 0;
  };
  struct DataChunk {
    uint8_t block_id;     // kBlockIdDataShort for main data
    uint32_t offset;      // into `data`
    uint32_t size_bytes;
  };

  bool in_use = false;
  Block blocks[kMaxBlockRefs];
  int max_block_id = -1;
  std::vector<DataChunk> chunks;
  std::vector<std::byte> data;       // copies of registered data (W6)
  uint64_t main_data_bytes = 0;
  TransactionId xid{};

  // Assembly scratch, allocated once per process (W6).
  std::byte header[kMaxHeaderBytes];
  std::vector<RecordChunk> rdata;
  std::unique_ptr<std::byte[]> compressed;   // kMaxBlockRefs * compress_bound bytes
  size_t compress_bound = 0;
  z_stream zs{};
  bool zs_ready = false;

  Impl() {
    chunks.reserve(4 * kMaxBlockRefs + 16);
    data.reserve(64 * 1024);
    rdata.reserve(4 * kMaxBlockRefs + 32);
  }
  ~Impl() {
    if (zs_ready) deflateEnd(&zs);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Reset() {
    for (int i = 0; i <= max_block_id; ++i) blocks[i] = Block{};
    max_block_id = -1;
    chunks.clear();
    data.clear();
    main_data_bytes = 0;
    xid = TransactionId{};
  }

  // zlib's state is allocated here, outside any critical section; deflateReset later does not
  // allocate.
  void PrepareCompression() {
    if (zs_ready || settings::wal_compression != settings::WalCompression::kZlib) return;
    zs = z_stream{};
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return;
    compress_bound = deflateBound(&zs, kBlockSize);
    compressed = std::make_unique<std::byte[]>(compress_bound * kMaxBlockRefs);
    zs_ready = true;
  }

  void AppendData(uint8_t block_id, const void* src, size_t size_bytes) {
    const size_t offset = data.size();
    data.resize(offset + size_bytes);  // no allocation within the reserved capacity (W6)
    if (size_bytes > 0) std::memcpy(data.data() + offset, src, size_bytes);
    chunks.push_back(DataChunk{block_id, static_cast<uint32_t>(offset),
                               static_cast<uint32_t>(size_bytes)});
  }

  // Compresses the hole-less image (two pieces) into block `id`'s scratch; 0 when it does not
  // get smaller.
  size_t Compress(int id, const std::byte* page, uint32_t hole_offset, uint32_t hole_length) {
    if (!zs_ready) return 0;
    std::byte* out = compressed.get() + static_cast<size_t>(id) * compress_bound;
    if (deflateReset(&zs) != Z_OK) return 0;
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(compress_bound);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(page));
    zs.avail_in = hole_offset;
    if (deflate(&zs, Z_NO_FLUSH) != Z_OK) return 0;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(page + hole_offset + hole_length));
    zs.avail_in = kBlockSize - hole_offset - hole_length;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return 0;
    const size_t size = compress_bound - zs.avail_out;
    return size < kBlockSize - hole_length ? size : 0;
  }

  struct Assembled {
    uint32_t total_length;
    Crc32cBuilder payload_crc;
    uint64_t fpw_lsn;
    int n_images;
  };
  Assembled Assemble(RmgrId rmgr, uint8_t info, uint64_t redo, bool do_page_writes);

  // Per-process pool of builder states (W6): reused, never freed. Nesting deeper than the
  // pool is a programming error.
  static constexpr int kPoolSize = 4;
  static std::array<std::unique_ptr<Impl>, kPoolSize> pool;
};

std::array<std::unique_ptr<WalRecordBuilder::Impl>, WalRecordBuilder::Impl::kPoolSize>
    WalRecordBuilder::Impl::pool;

namespace {


#ifdef KEEL_DEBUG
void (*insert_hook)() = nullptr;
#endif

template <typename T>
std::byte* Put(std::byte* p, T value) {
  std::memcpy(p, &value, sizeof(T));
  return p + sizeof(T);
}

[[nodiscard]] uint64_t PageLsnOf(const std::byte* page) {
  uint64_t lsn;
  std::memcpy(&lsn, page + offsetof(storage::PageHeader, lsn), sizeof(lsn));
  return lsn;
}

}  // namespace

WalRecordBuilder::Impl::Assembled WalRecordBuilder::Impl::Assemble(RmgrId rmgr, uint8_t info,
                                                                   uint64_t redo,
                                                                   bool do_page_writes) {
  Assembled out{0, Crc32cBuilder(), 0, 0};
  rdata.clear();
  rdata.push_back(RecordChunk{header, 0});
  std::byte* p = header + kRecordHeaderSize;
  uint64_t payload_bytes = 0;
  const RelFileLocator* prev_rel = nullptr;

  for (int id = 0; id <= max_block_id; ++id) {
    const Block& b = blocks[id];
    if (!b.in_use) continue;
    // W4: an image on the first change of a page after the redo pointer.
    bool needs_image;
    if ((b.flags & kRegForceImage) != 0) {
      needs_image = true;
    } else if ((b.flags & (kRegNoImage | kRegWillInit)) != 0 || !do_page_writes) {
      needs_image = false;
    } else {
      const uint64_t page_lsn = PageLsnOf(b.page);
      needs_image = page_lsn <= redo;
      if (!needs_image && (out.fpw_lsn == 0 || page_lsn < out.fpw_lsn)) out.fpw_lsn = page_lsn;
    }
    const bool same_rel = prev_rel != nullptr && *prev_rel == b.rel;
    uint8_t fork_flags = static_cast<uint8_t>(b.fork);
    if (needs_image) fork_flags |= kBlockHasImage;
    if (same_rel) fork_flags |= kBlockSameRel;
    p = Put<uint8_t>(p, static_cast<uint8_t>(id));
    p = Put<uint8_t>(p, fork_flags);
    p = Put<uint8_t>(p, b.flags);
    p = Put<uint16_t>(p, static_cast<uint16_t>(b.data_bytes));
    if (needs_image) {
      uint32_t hole_offset = 0;
      uint32_t hole_length = 0;
      if ((b.flags & kRegStandard) != 0) {
        storage::PageHeader ph;
        std::memcpy(&ph, b.page, sizeof(ph));
        if (ph.lower >= sizeof(storage::PageHeader) && ph.upper > ph.lower &&
            ph.upper <= kBlockSize) {
          hole_offset = ph.lower;
          hole_length = static_cast<uint32_t>(ph.upper - ph.lower);
        }
      }
      uint8_t image_flags = kImageApply;
      size_t stored = Compress(id, b.page, hole_offset, hole_length);
      if (stored > 0) {
        image_flags |= kImageCompressed;
        rdata.push_back(RecordChunk{compressed.get() + static_cast<size_t>(id) * compress_bound,
                                    stored});
      } else {
        stored = kBlockSize - hole_length;
        if (hole_offset > 0) rdata.push_back(RecordChunk{b.page, hole_offset});
        const uint32_t tail = kBlockSize - hole_offset - hole_length;
        if (tail > 0) rdata.push_back(RecordChunk{b.page + hole_offset + hole_length, tail});
      }
      payload_bytes += stored;
      p = Put<uint16_t>(p, static_cast<uint16_t>(stored));
      p = Put<uint16_t>(p, static_cast<uint16_t>(hole_offset));
      p = Put<uint16_t>(p, static_cast<uint16_t>(hole_length));
      p = Put<uint8_t>(p, image_flags);
      ++out.n_images;
    }
    if (!same_rel) {
      p = Put<uint32_t>(p, b.rel.spc.value());
      p = Put<uint32_t>(p, b.rel.db.value());
      p = Put<uint32_t>(p, b.rel.rel.value());
      prev_rel = &b.rel;
    }
    p = Put<uint32_t>(p, b.block.value());
    for (const DataChunk& c : chunks) {
      if (c.block_id == id && c.size_bytes > 0) {
        rdata.push_back(RecordChunk{data.data() + c.offset, c.size_bytes});
      }
    }
    payload_bytes += b.data_bytes;
  }
  if (main_data_bytes > 0) {
    if (main_data_bytes <= 255) {
      p = Put<uint8_t>(p, kBlockIdDataShort);
      p = Put<uint8_t>(p, static_cast<uint8_t>(main_data_bytes));
    } else {
      p = Put<uint8_t>(p, kBlockIdDataLong);
      p = Put<uint32_t>(p, static_cast<uint32_t>(main_data_bytes));
    }
    for (const DataChunk& c : chunks) {
      if (c.block_id == kBlockIdDataShort && c.size_bytes > 0) {
        rdata.push_back(RecordChunk{data.data() + c.offset, c.size_bytes});
      }
    }
    payload_bytes += main_data_bytes;
  }
  const auto header_bytes = static_cast<size_t>(p - header);
  rdata[0].size_bytes = header_bytes;
  const uint64_t total = header_bytes + payload_bytes;
  if (total > kMaxRecordSize) {
    Panic("oversized WAL record: %llu bytes", static_cast<unsigned long long>(total));
  }
  out.total_length = static_cast<uint32_t>(total);

  RecordHeader h;
  h.total_length = out.total_length;
  h.xid = xid.value();
  h.rmgr = static_cast<uint8_t>(rmgr);
  h.info = info;
  EncodeRecordHeader(h, header);  // prev and crc are filled in after reserving (W1)
  out.payload_crc.Update(header + kRecordHeaderSize, header_bytes - kRecordHeaderSize);
  for (size_t i = 1; i < rdata.size(); ++i) {
    out.payload_crc.Update(rdata[i].data, rdata[i].size_bytes);
  }
  return out;
}

WalRecordBuilder::WalRecordBuilder() : impl_(nullptr) {
  for (std::unique_ptr<Impl>& slot : Impl::pool) {
    if (slot == nullptr) slot = std::make_unique<Impl>();
    if (!slot->in_use) {
      impl_ = slot.get();
      break;
    }
  }
  if (impl_ == nullptr) Panic("too many WAL record builders in use at once");
  impl_->in_use = true;
  impl_->Reset();
  impl_->PrepareCompression();
}

WalRecordBuilder::~WalRecordBuilder() {
  impl_->Reset();
  impl_->in_use = false;
}

void WalRecordBuilder::Reserve(size_t data_bytes) {
  impl_->data.reserve(impl_->data.size() + data_bytes);
}

void WalRecordBuilder::RegisterBlock(uint8_t block_id, const RelFileLocator& rel,
                                     ForkNumber fork, BlockNumber block, const std::byte* page,
                                     uint8_t flags) {
  KEEL_ASSERT(block_id < kMaxBlockRefs);
  Impl::Block& b = impl_->blocks[block_id];
  KEEL_ASSERT(!b.in_use);
  b = Impl::Block{true, flags, rel, fork, block, page, 0};
  if (block_id > impl_->max_block_id) impl_->max_block_id = block_id;
}

void WalRecordBuilder::RegisterBuffer(uint8_t block_id, storage::Buffer buffer, uint8_t flags) {
  KEEL_ASSERT(storage::BufferIsPinnedByMe(buffer));
  const storage::BufferTag tag = storage::BufferGetTag(buffer);
  RegisterBlock(block_id, tag.rel, tag.fork, tag.block, storage::BufferGetPage(buffer), flags);
}

void WalRecordBuilder::RegisterBufData(uint8_t block_id, const void* data, size_t size_bytes) {
  KEEL_ASSERT(block_id < kMaxBlockRefs && impl_->blocks[block_id].in_use);
  Impl::Block& b = impl_->blocks[block_id];
  // W5: the block data length is a u16 in the block reference.
  if (b.data_bytes + size_bytes > 0xFFFF) {
    Panic("too much WAL data for block %u: %zu bytes", block_id, b.data_bytes + size_bytes);
  }
  b.data_bytes += static_cast<uint32_t>(size_bytes);
  impl_->AppendData(block_id, data, size_bytes);
}

void WalRecordBuilder::RegisterData(const void* data, size_t size_bytes) {
  impl_->main_data_bytes += size_bytes;
  impl_->AppendData(kBlockIdDataShort, data, size_bytes);
}

void WalRecordBuilder::SetTransactionId(TransactionId xid) { impl_->xid = xid; }

Lsn WalRecordBuilder::Insert(RmgrId rmgr, uint8_t info) noexcept {
  for (;;) {
    // W4: the redo pointer is read before assembly and re-checked under the insertion lock; if
    // a checkpoint moved it past a page that got no image, assemble again.
    const uint64_t redo =
        wal_shared != nullptr ? wal_shared->redo_ptr.load(std::memory_order_acquire) : 0;
    const bool do_page_writes = settings::full_page_writes;
    Impl::Assembled a = impl_->Assemble(rmgr, info, redo, do_page_writes);
#ifdef KEEL_DEBUG
    if (insert_hook != nullptr) insert_hook();
#endif
    const uint64_t end = InsertAssembledRecord(
        impl_->rdata.data(), static_cast<int>(impl_->rdata.size()), a.total_length,
        a.payload_crc, redo, a.fpw_lsn, a.n_images);
    if (end != 0) {
      impl_->Reset();
      return Lsn(end);
    }
  }
}

#ifdef KEEL_DEBUG
void TestOnlySetInsertHook(void (*hook)()) { insert_hook = hook; }
#endif

}  // namespace keel::transam
