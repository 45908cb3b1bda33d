// Redo, describe and identify of the kBtree WAL records. README.md ("WAL records").
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "access/nbtree/nbtree_internal.h"
#include "access/transam/redo_buffer.h"
#include "access/transam/wal_reader.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using transam::DecodedRecord;
using transam::RedoAction;

namespace {

template <typename T>
T MainData(const DecodedRecord& record, const char* what) {
  T rec{};
  if (record.main_data.size() < sizeof(T)) {
    Panic("btree %s: record at %s too short", what, transam::LsnToString(record.lsn).c_str());
  }
  std::memcpy(&rec, record.main_data.data(), sizeof(T));
  return rec;
}

// Applies `fn(page, ref)` to block `id` when it still needs the change; an image restored it
// otherwise. Sets the LSN and dirties the page.
template <typename Fn>
void RedoBlock(const DecodedRecord& record, uint8_t id, Fn&& fn) {
  if (record.Block(id) == nullptr) return;
  storage::Buffer buffer = storage::kInvalidBuffer;
  const RedoAction action = transam::ReadBufferForRedo(record, id, &buffer);
  if (action == RedoAction::kNotFound) return;
  if (action == RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(buffer);
    fn(page, *record.Block(id));
    storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(buffer);
  }
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
}

void ImageOnly(storage::Page, const transam::DecodedBlockRef&) {
  Panic("btree redo: a block logged with a forced image had none");
}

void ClearIncompleteSplit(storage::Page page, const transam::DecodedBlockRef&) {
  Opaque(page)->flags &= static_cast<uint16_t>(~kBtIncompleteSplit);
}

void BtreeRedo(const DecodedRecord& record) {
  switch (record.info & 0xF0) {
    case kWalBtCreate:
      RedoBlock(record, 0, ImageOnly);
      RedoBlock(record, 1, ImageOnly);
      break;
    case kWalBtInsertLeaf:
    case kWalBtInsertUpper: {
      const auto rec = MainData<WalBtInsert>(record, "insert");
      RedoBlock(record, 0, [&](storage::Page page, const transam::DecodedBlockRef& ref) {
        if (storage::PageAddItem(page, ref.data.data(), ref.data.size(), rec.offset, false, false) !=
            rec.offset) {
          Panic("btree insert redo: failed to add item at offset %u", rec.offset);
        }
      });
      if (rec.has_child != 0) RedoBlock(record, 1, ClearIncompleteSplit);
      break;
    }
    case kWalBtSplit: {
      const auto rec = MainData<WalBtSplit>(record, "split");
      RedoBlock(record, 0, ImageOnly);
      RedoBlock(record, 1, ImageOnly);
      const transam::DecodedBlockRef* right = record.Block(1);
      if (rec.right_sibling != kNoBlock) {
        RedoBlock(record, 2, [&](storage::Page page, const transam::DecodedBlockRef&) {
          Opaque(page)->left = right->block.value();
        });
      }
      if (rec.has_child != 0) RedoBlock(record, 3, ClearIncompleteSplit);
      break;
    }
    case kWalBtNewRoot:
      RedoBlock(record, 0, ImageOnly);
      RedoBlock(record, 1, [](storage::Page page, const transam::DecodedBlockRef&) {
        Opaque(page)->flags &= static_cast<uint16_t>(~(kBtRoot | kBtIncompleteSplit));
      });
      RedoBlock(record, 2, ImageOnly);
      break;
    case kWalBtVacuum: {
      RedoBlock(record, 0, [](storage::Page page, const transam::DecodedBlockRef& ref) {
        const size_t n = ref.data.size() / sizeof(uint16_t);
        for (size_t i = n; i-- > 0;) {
          uint16_t off;
          std::memcpy(&off, ref.data.data() + i * sizeof(uint16_t), sizeof(off));
          storage::PageIndexTupleDelete(page, off);
        }
      });
      break;
    }
    case kWalBtMarkHalfDead: {
      const auto rec = MainData<WalBtMarkHalfDead>(record, "mark half-dead");
      RedoBlock(record, 0, [&](storage::Page page, const transam::DecodedBlockRef&) {
        Opaque(page)->flags |= kBtHalfDead;
        Opaque(page)->xact = rec.top;
      });
      RedoBlock(record, 1, [&](storage::Page page, const transam::DecodedBlockRef&) {
        const auto next = static_cast<storage::OffsetNumber>(rec.poffset + 1);
        Item(page, rec.poffset)->tid_block = Item(page, next)->tid_block;
        storage::PageIndexTupleDelete(page, next);
      });
      break;
    }
    case kWalBtUnlinkPage: {
      const auto rec = MainData<WalBtUnlinkPage>(record, "unlink page");
      RedoBlock(record, 0, [&](storage::Page page, const transam::DecodedBlockRef&) {
        BtPageOpaque* o = Opaque(page);
        o->flags = static_cast<uint16_t>((o->flags & ~kBtHalfDead) | kBtDeleted);
        o->xact = rec.xact;
      });
      if (rec.left != kNoBlock) {
        RedoBlock(record, 1, [&](storage::Page page, const transam::DecodedBlockRef&) {
          Opaque(page)->right = rec.right;
        });
      }
      RedoBlock(record, 2, [&](storage::Page page, const transam::DecodedBlockRef&) {
        Opaque(page)->left = rec.left;
      });
      if (rec.has_leaf != 0) {
        RedoBlock(record, 3, [&](storage::Page page, const transam::DecodedBlockRef&) {
          Opaque(page)->xact = rec.next_top;
        });
      }
      break;
    }
    case kWalBtDedup:
      RedoBlock(record, 0, [](storage::Page page, const transam::DecodedBlockRef& ref) {
        // BT23: the same rewrite as the original pass, from the logged intervals.
        std::vector<WalBtDedupInterval> intervals(ref.data.size() / sizeof(WalBtDedupInterval));
        std::memcpy(intervals.data(), ref.data.data(), intervals.size() * sizeof(WalBtDedupInterval));
        auto scratch = std::make_unique<std::array<uint64_t, kBlockSize / 8>>();
        auto* dst = reinterpret_cast<std::byte*>(scratch->data());
        ApplyDedup(page, dst, intervals);
        std::memcpy(page, dst, kBlockSize);
      });
      break;
    case kWalBtInsertPost: {
      const auto rec = MainData<WalBtInsertPost>(record, "insert_post");
      RedoBlock(record, 0, [&](storage::Page page, const transam::DecodedBlockRef& ref) {
        // BT24: the posting tuple is overwritten in place (same size), the new entry follows it.
        IndexTupleHeader* posting = Item(page, rec.posting_off);
        if (ref.data.size() < rec.posting_size || posting->Size() != rec.posting_size) {
          Panic("btree insert_post redo: posting tuple size mismatch at offset %u", rec.posting_off);
        }
        std::memcpy(posting, ref.data.data(), rec.posting_size);
        const auto off = static_cast<storage::OffsetNumber>(rec.posting_off + 1);
        if (storage::PageAddItem(page, ref.data.data() + rec.posting_size,
                                 ref.data.size() - rec.posting_size, off, false, false) != off) {
          Panic("btree insert_post redo: failed to add item at offset %u", off);
        }
      });
      break;
    }
    case kWalBtVacuumPosting: {
      const auto rec = MainData<WalBtVacuumPosting>(record, "vacuum_posting");
      RedoBlock(record, 0, [&](storage::Page page, const transam::DecodedBlockRef& ref) {
        const size_t del_bytes = rec.ndeleted * sizeof(uint16_t);
        if (ref.data.size() < del_bytes) Panic("btree vacuum_posting redo: record too short");
        std::vector<uint16_t> deleted(rec.ndeleted);
        if (del_bytes > 0) std::memcpy(deleted.data(), ref.data.data(), del_bytes);
        ApplyVacuumPosting(page, deleted, std::span<const std::byte>(ref.data).subspan(del_bytes), rec.nupdated);
      });
      break;
    }
    default:
      Panic("btree redo: unknown record info 0x%02x", record.info);
  }
}

const char* BtreeIdentify(uint8_t info) {
  switch (info & 0xF0) {
    case kWalBtInsertLeaf: return "INSERT_LEAF";
    case kWalBtInsertUpper: return "INSERT_UPPER";
    case kWalBtSplit: return "SPLIT";
    case kWalBtNewRoot: return "NEWROOT";
    case kWalBtVacuum: return "VACUUM";
    case kWalBtCreate: return "CREATE";
    case kWalBtMarkHalfDead: return "MARK_HALF_DEAD";
    case kWalBtUnlinkPage: return "UNLINK_PAGE";
    case kWalBtDedup: return "DEDUP";
    case kWalBtInsertPost: return "INSERT_POST";
    case kWalBtVacuumPosting: return "VACUUM_POSTING";
    default: return nullptr;
  }
}

std::string BtreeDescribe(const DecodedRecord& record) {
  switch (record.info & 0xF0) {
    case kWalBtInsertLeaf:
    case kWalBtInsertUpper: {
      if (record.main_data.size() < sizeof(WalBtInsert)) return "(short)";
      const auto rec = MainData<WalBtInsert>(record, "insert");
      return Format("off %u%s", rec.offset, rec.has_child != 0 ? " (finishes child split)" : "");
    }
    case kWalBtSplit: {
      if (record.main_data.size() < sizeof(WalBtSplit)) return "(short)";
      const auto rec = MainData<WalBtSplit>(record, "split");
      return Format("level %u, first right item %u, right sibling %d%s", rec.level,
                    rec.first_right_off, rec.right_sibling == kNoBlock ? -1 : static_cast<int>(rec.right_sibling),
                    rec.has_child != 0 ? " (finishes child split)" : "");
    }
    case kWalBtNewRoot: {
      if (record.main_data.size() < sizeof(WalBtNewRoot)) return "(short)";
      const auto rec = MainData<WalBtNewRoot>(record, "newroot");
      return Format("root %u, level %u", rec.root, rec.level);
    }
    case kWalBtVacuum: {
      if (record.main_data.size() < sizeof(WalBtVacuum)) return "(short)";
      return Format("ndeleted %u", MainData<WalBtVacuum>(record, "vacuum").ndeleted);
    }
    case kWalBtCreate: return "meta and root";
    case kWalBtMarkHalfDead: {
      if (record.main_data.size() < sizeof(WalBtMarkHalfDead)) return "(short)";
      const auto rec = MainData<WalBtMarkHalfDead>(record, "mark half-dead");
      return Format("top %u, parent offset %u", rec.top, rec.poffset);
    }
    case kWalBtUnlinkPage: {
      if (record.main_data.size() < sizeof(WalBtUnlinkPage)) return "(short)";
      const auto rec = MainData<WalBtUnlinkPage>(record, "unlink page");
      return Format("left %d, right %u, xact %llu%s", rec.left == kNoBlock ? -1 : static_cast<int>(rec.left),
                    rec.right, static_cast<unsigned long long>(rec.xact),
                    rec.has_leaf != 0 ? Format(", leaf's next top %u", rec.next_top).c_str() : "");
    }
    case kWalBtDedup: {
      if (record.main_data.size() < sizeof(WalBtDedup)) return "(short)";
      return Format("nintervals %u", MainData<WalBtDedup>(record, "dedup").nintervals);
    }
    case kWalBtInsertPost: {
      if (record.main_data.size() < sizeof(WalBtInsertPost)) return "(short)";
      const auto rec = MainData<WalBtInsertPost>(record, "insert_post");
      return Format("posting off %u, new item off %u", rec.posting_off, rec.posting_off + 1);
    }
    case kWalBtVacuumPosting: {
      if (record.main_data.size() < sizeof(WalBtVacuumPosting)) return "(short)";
      const auto rec = MainData<WalBtVacuumPosting>(record, "vacuum_posting");
      return Format("ndeleted %u, nupdated %u", rec.ndeleted, rec.nupdated);
    }
    default: return "";
  }
}

}  // namespace

void RegisterBtreeRmgr() {
  transam::RegisterRmgr(transam::RmgrId::kBtree,
                        transam::RmgrOps{"Btree", &BtreeRedo, &BtreeDescribe, &BtreeIdentify});
}

}  // namespace keel::access::nbtree
