// src/backend/cpu/block_cache.h — a cache of freed large host blocks, reused by size.
//
// Why: a training step allocates the same large temporaries (activations, im2col columns,
// gradients) every step. glibc serves blocks above its mmap threshold (≤ 32 MiB, adaptive) with
// fresh mmap()s and returns them with munmap(), so every step the kernel zero-fills the same
// pages again: a profile of the cohen_cnn step (batch 1,024) spent ~30 % of its time in
// clear_page + page faults. Keeping freed blocks of ≥ kMinBytes keyed by their exact
// (64-byte rounded) size and handing them back on the next request of that size removes that:
// a steady-state step then allocates nothing from the OS. PyTorch's CUDA caching allocator
// exists for the same reason.
//
// Bounded: at most `capacity` bytes sit in the cache (GRADLAB_CPU_CACHE_MB, default 4096; 0
// turns the cache off); a block that does not fit is freed at once. When an allocation fails
// the cache is emptied and the allocation retried before reporting out-of-memory.
// Thread-safe (one mutex; allocations are per op, not per element).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace gradlab::cpu {

class BlockCache {
 public:
  static constexpr size_t kMinBytes = size_t(1) << 16;  // smaller blocks: malloc's bins do well

  explicit BlockCache(size_t capacity) : capacity_(capacity) {}
  ~BlockCache() { release_all(); }
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A cached block of exactly `rounded` bytes, or nullptr.
  void* take(size_t rounded);
  // Keeps p (a block of `rounded` bytes) for reuse; false if it is not kept (caller frees it).
  bool give(void* p, size_t rounded);
  // Frees every cached block (used before retrying a failed allocation).
  void release_all();

  size_t cached_bytes() const;
  size_t capacity() const { return capacity_; }

 private:
  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> blocks_;  // size → free blocks of that size
  size_t cached_ = 0;
  size_t capacity_;
};

// The process-wide cache of the CPU backend (capacity from GRADLAB_CPU_CACHE_MB; 0 in WASM,
// whose linear memory never shrinks anyway, so caching there would only pin memory).
BlockCache& host_block_cache();

}  // namespace gradlab::cpu
