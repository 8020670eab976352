#include "archive/decompress.h"

#include <isa-l/igzip_lib.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace berth::archive {

namespace {

constexpr size_t kBufSize = 256 * 1024;

std::string_view isal_error(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid lookback distance";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
      return "checksum mismatch";
    default:
      return "decoder error";
  }
}

std::unexpected<Error> eof_error(std::string_view format) {
  return fail(ErrorKind::InvalidArgument, "unexpected EOF in {} stream", format);
}

}  // namespace

struct Decompressor::Impl {
  int fd = -1;
  content::Hasher hasher{"sha256"};
  uint64_t total = 0;
  Compression kind = Compression::None;
  bool detected = false;
  bool done = false;
  bool input_eof = false;
  std::vector<uint8_t> in = std::vector<uint8_t>(kBufSize);
  size_t in_pos = 0;
  size_t in_end = 0;
  std::vector<uint8_t> out = std::vector<uint8_t>(kBufSize);
  std::unique_ptr<inflate_state> gz;  // ~40 KiB: heap, not stack
  bool member_done = false;
  ZSTD_DStream* zs = nullptr;
  size_t zs_hint = 0;  // ZSTD_decompressStream's last answer

  ~Impl() { ZSTD_freeDStream(zs); }

  size_t avail() const { return in_end - in_pos; }
  uint8_t* cur() { return in.data() + in_pos; }

  // Makes at least n bytes available unless the input ends first; returns what is there.
  Result<size_t> fill(size_t n) {
    if (avail() >= n) return avail();
    if (in_pos > 0) {
      std::memmove(in.data(), cur(), avail());
      in_end -= in_pos;
      in_pos = 0;
    }
    while (in_end < n && !input_eof) {
      ssize_t r = ::read(fd, in.data() + in_end, in.size() - in_end);
      if (r < 0) {
        if (errno == EINTR) continue;
        return sys_fail("read layer");
      }
      if (r == 0) input_eof = true;
      in_end += static_cast<size_t>(r);
    }
    return avail();
  }

  Status detect() {
    detected = true;
    BERTH_ASSIGN(size_t n, fill(6));
    const uint8_t* p = cur();
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
      kind = Compression::Gzip;
      gz = std::make_unique<inflate_state>();
      isal_inflate_init(gz.get());
      gz->crc_flag = ISAL_GZIP;  // isal parses the header and checks the CRC trailer
    } else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
      kind = Compression::Zstd;
      zs = ZSTD_createDStream();
      if (!zs) return fail(ErrorKind::Internal, "cannot allocate a zstd decoder");
    } else if (n >= 6 && std::memcmp(p,
                                     "\xfd"
                                     "7zXZ\0",
                                     6) == 0) {
      return fail(ErrorKind::InvalidArgument, "xz-compressed layers are not supported");
    }
    return ok();
  }

  // Concatenated gzip members form one stream, as gzip -d reads them; zero padding after
  // the last member is tolerated, anything else is not.
  Result<bool> next_gzip_member() {
    for (;;) {
      BERTH_ASSIGN(size_t n, fill(2));
      if (n == 0) return false;
      const uint8_t* p = cur();
      if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        isal_inflate_reset(gz.get());
        gz->crc_flag = ISAL_GZIP;
        member_done = false;
        return true;
      }
      if (std::any_of(p, p + n, [](uint8_t b) { return b != 0; }))
        return fail(ErrorKind::InvalidArgument, "trailing garbage after the gzip stream");
      in_pos = in_end;
      if (input_eof) return false;
    }
  }

  Result<size_t> gzip_step() {
    for (;;) {
      if (member_done) {
        BERTH_ASSIGN(bool more, next_gzip_member());
        if (!more) return 0;
      }
      if (avail() == 0 && !input_eof) BERTH_TRY(fill(1));
      size_t had = avail();
      gz->next_in = cur();
      gz->avail_in = static_cast<uint32_t>(had);
      gz->next_out = out.data();
      gz->avail_out = static_cast<uint32_t>(out.size());
      int ret = isal_inflate(gz.get());
      size_t consumed = had - gz->avail_in;
      in_pos += consumed;
      size_t produced = out.size() - gz->avail_out;
      if (ret < 0)
        return fail(ErrorKind::InvalidArgument, "corrupt gzip stream: {}", isal_error(ret));
      if (gz->block_state == ISAL_BLOCK_FINISH) member_done = true;
      if (produced > 0) return produced;
      if (member_done) continue;
      if (input_eof && avail() == 0) return eof_error("gzip");
      if (consumed == 0) {
        // No progress with what we hold: isal needs more input.
        if (avail() == in.size()) return fail(ErrorKind::InvalidArgument, "corrupt gzip stream");
        BERTH_ASSIGN(size_t n, fill(had + 1));
        if (n == had) return eof_error("gzip");
      }
    }
  }

  Result<size_t> zstd_step() {
    for (;;) {
      if (avail() == 0 && !input_eof) BERTH_TRY(fill(1));
      // At the end of the input, the decoder may still hold output of the last frame.
      if (avail() == 0 && input_eof && zs_hint == 0) return 0;
      ZSTD_inBuffer ib{cur(), avail(), 0};
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      size_t r = ZSTD_decompressStream(zs, &ob, &ib);
      in_pos += ib.pos;
      if (ZSTD_isError(r))
        return fail(ErrorKind::InvalidArgument, "corrupt zstd stream: {}", ZSTD_getErrorName(r));
      zs_hint = r;  // 0: a frame just ended, fully flushed
      if (ob.pos > 0) return ob.pos;
      if (avail() == 0 && input_eof && zs_hint != 0) return eof_error("zstd");
    }
  }
};

Decompressor::Decompressor(int fd) : impl_(std::make_unique<Impl>()) {
  impl_->fd = fd;
}

Decompressor::~Decompressor() = default;

Result<std::span<const uint8_t>> Decompressor::read() {
  Impl& d = *impl_;
  if (!d.detected) BERTH_TRY(d.detect());
  if (d.done) return std::span<const uint8_t>();
  const uint8_t* p = d.out.data();
  size_t n = 0;
  switch (d.kind) {
    case Compression::None: {
      BERTH_ASSIGN(n, d.fill(1));
      p = d.cur();
      d.in_pos = d.in_end;
      break;
    }
    case Compression::Gzip: {
      BERTH_ASSIGN(n, d.gzip_step());
      break;
    }
    case Compression::Zstd: {
      BERTH_ASSIGN(n, d.zstd_step());
      break;
    }
  }
  if (n == 0) {
    d.done = true;
    return std::span<const uint8_t>();
  }
  d.hasher.update(p, n);
  d.total += n;
  return std::span<const uint8_t>(p, n);
}

Status Decompressor::drain() {
  for (;;) {
    BERTH_ASSIGN(auto chunk, read());
    if (chunk.empty()) return ok();
  }
}

content::Digest Decompressor::digest() {
  return impl_->hasher.finish();
}

uint64_t Decompressor::total() const {
  return impl_->total;
}

Compression Decompressor::compression() const {
  return impl_->kind;
}

}  // namespace berth::archive
