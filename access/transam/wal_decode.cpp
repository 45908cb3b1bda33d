// Decoding one reassembled, CRC-checked record into block references (images rebuilt: hole
// filled with zeros, zlib images inflated) and main data. Format: README.md (W1, W4, W5).
#include <zlib.h>

#include <cstring>
#include <string>

#include "access/transam/wal_decode_internal.h"
#include "access/transam/wal_format_internal.h"
#include "backend/utils/error/format.h"

namespace keel::transam {

const DecodedBlockRef* DecodedRecord::Block(uint8_t block_id) const {
  for (const DecodedBlockRef& b : blocks) {
    if (b.block_id == block_id) return &b;
  }
  return nullptr;
}

namespace internal {
namespace {

// Bounds-checked little reader over the record bytes.
class Cursor {
 public:
  Cursor(const std::byte* data, uint32_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool Has(uint32_t n) const { return size_ - pos_ >= n; }
  template <typename T>
  [[nodiscard]] T Get() {
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  [[nodiscard]] const std::byte* Take(uint32_t n) {
    const std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  [[nodiscard]] uint32_t pos() const { return pos_; }

 private:
  const std::byte* data_;
  uint32_t size_;
  uint32_t pos_ = 0;
};

constexpr uint8_t kMaxBlocks = 32;

struct PendingImage {
  uint16_t stored_length = 0;
  uint16_t hole_offset = 0;
  uint16_t hole_length = 0;
  uint8_t flags = 0;
};

}  // namespace

bool DecodeRecordBody(const std::byte* rec, uint32_t total_length, Lsn lsn, DecodedRecord* out,
                      std::string* error) {
  const std::string at = LsnToString(lsn);
  const auto truncated = [&]() {
    *error = Format("invalid record length at %s: block headers and data do not add up to %u "
                    "bytes",
                    at.c_str(), total_length);
    return false;
  };
  Cursor c(rec, total_length);
  (void)c.Take(kRecordHeaderSize);
  PendingImage images[kMaxBlocks];
  uint16_t data_lengths[kMaxBlocks];
  uint64_t main_length = 0;
  uint64_t payload_declared = 0;  // bytes of images and data the headers so far announce
  int prev_id = -1;
  out->blocks.clear();
  out->main_data.clear();

  // Headers: block references, then the optional main data header (W5). They end where the
  // remaining bytes are exactly the payload they announced.
  while (total_length - c.pos() > payload_declared) {
    const auto id = c.Get<uint8_t>();
    if (id == kBlockIdDataShort || id == kBlockIdDataLong) {
      if (!c.Has(id == kBlockIdDataShort ? 1 : 4)) return truncated();
      main_length = id == kBlockIdDataShort ? c.Get<uint8_t>() : c.Get<uint32_t>();
      payload_declared += main_length;
      break;
    }
    if (id >= kMaxBlocks) {
      *error = Format("invalid block_id %u at %s", id, at.c_str());
      return false;
    }
    if (static_cast<int>(id) <= prev_id) {
      *error = Format("out-of-order block_id %u at %s", id, at.c_str());
      return false;
    }
    prev_id = id;
    if (!c.Has(kBlockRefFixedSize - 1)) return truncated();
    const auto fork_flags = c.Get<uint8_t>();
    const auto reg_flags = c.Get<uint8_t>();
    const auto data_length = c.Get<uint16_t>();
    if ((fork_flags & ~kBlockKnownFlags) != 0 || (fork_flags & kBlockForkMask) > kMaxForkNumber) {
      *error = Format("invalid fork number or flags %02X in block %u at %s", fork_flags, id,
                      at.c_str());
      return false;
    }
    const size_t n = out->blocks.size();
    DecodedBlockRef ref;
    ref.block_id = id;
    ref.fork = static_cast<ForkNumber>(fork_flags & kBlockForkMask);
    ref.flags = reg_flags;
    images[n] = PendingImage{};
    if ((fork_flags & kBlockHasImage) != 0) {
      if (!c.Has(kImageHeaderSize)) return truncated();
      PendingImage& image = images[n];
      image.stored_length = c.Get<uint16_t>();
      image.hole_offset = c.Get<uint16_t>();
      image.hole_length = c.Get<uint16_t>();
      image.flags = c.Get<uint8_t>();
      const uint32_t holeless = kBlockSize - image.hole_length;
      const bool compressed = (image.flags & kImageCompressed) != 0;
      if (image.hole_offset + image.hole_length > kBlockSize ||
          (!compressed && image.stored_length != holeless) ||
          (compressed && (image.stored_length == 0 || image.stored_length >= holeless))) {
        *error = Format("invalid full-page image: hole offset %u length %u image length %u "
                        "in block %u at %s",
                        image.hole_offset, image.hole_length, image.stored_length, id,
                        at.c_str());
        return false;
      }
      ref.has_image = true;
      ref.apply_image = (image.flags & kImageApply) != 0;
      ref.image_stored_bytes = image.stored_length;
      ref.image_compressed = compressed;
      payload_declared += image.stored_length;
    }
    if ((fork_flags & kBlockSameRel) != 0) {
      if (n == 0) {
        *error = Format("same-relation flag set but no previous relation at %s", at.c_str());
        return false;
      }
      ref.rel = out->blocks[n - 1].rel;
    } else {
      if (!c.Has(kRelFileLocatorSize)) return truncated();
      ref.rel.spc = Oid(c.Get<uint32_t>());
      ref.rel.db = Oid(c.Get<uint32_t>());
      ref.rel.rel = Oid(c.Get<uint32_t>());
    }
    if (!c.Has(4)) return truncated();
    ref.block = BlockNumber(c.Get<uint32_t>());
    data_lengths[n] = data_length;
    payload_declared += data_length;
    out->blocks.push_back(std::move(ref));
  }
  if (total_length - c.pos() != payload_declared) return truncated();

  // Payload: each block's image and data, in order, then the main data.
  for (size_t i = 0; i < out->blocks.size(); ++i) {
    DecodedBlockRef& ref = out->blocks[i];
    if (ref.has_image) {
      const PendingImage& image = images[i];
      const std::byte* src = c.Take(image.stored_length);
      const uint32_t holeless = kBlockSize - image.hole_length;
      std::byte inflated[kBlockSize];
      if ((image.flags & kImageCompressed) != 0) {
        uLongf dest_len = holeless;
        if (uncompress(reinterpret_cast<Bytef*>(inflated), &dest_len,
                       reinterpret_cast<const Bytef*>(src), image.stored_length) != Z_OK ||
            dest_len != holeless) {
          *error = Format("could not decompress image at %s, block %u", at.c_str(),
                          ref.block_id);
          return false;
        }
        src = inflated;
      }
      ref.image.assign(kBlockSize, std::byte{0});
      std::memcpy(ref.image.data(), src, image.hole_offset);
      std::memcpy(ref.image.data() + image.hole_offset + image.hole_length,
                  src + image.hole_offset, holeless - image.hole_offset);
    }
    const std::byte* data = c.Take(data_lengths[i]);
    ref.data.assign(data, data + data_lengths[i]);
  }
  const std::byte* main = c.Take(static_cast<uint32_t>(main_length));
  out->main_data.assign(main, main + main_length);
  return true;
}

}  // namespace internal
}  // namespace keel::transam
