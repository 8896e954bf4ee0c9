// src/backend/cpu/block_cache.cpp — the cache of freed large host blocks (see block_cache.h).
#include "block_cache.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "gradlab/error.h"

namespace gradlab::cpu {

void* BlockCache::take(size_t rounded) {
  if (rounded < kMinBytes || capacity_ == 0) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blocks_.find(rounded);
  if (it == blocks_.end() || it->second.empty()) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  cached_ -= rounded;
  return p;
}

bool BlockCache::give(void* p, size_t rounded) {
  if (rounded < kMinBytes || capacity_ == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ + rounded > capacity_) return false;
  blocks_[rounded].push_back(p);
  cached_ += rounded;
  return true;
}

void BlockCache::release_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [size, list] : blocks_)
    for (void* p : list) std::free(p);
  blocks_.clear();
  cached_ = 0;
}

size_t BlockCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_;
}

static size_t capacity_from_env() {
#if defined(GRADLAB_WASM)
  return 0;
#else
  const char* s = std::getenv("GRADLAB_CPU_CACHE_MB");
  if (s == nullptr || *s == '\0') return size_t(4096) << 20;
  errno = 0;
  char* end = nullptr;
  long long mb = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || mb < 0)
    fail<ValueError>("GRADLAB_CPU_CACHE_MB must be a non-negative whole number of MiB, got '",
                     std::string(s), "'");
  return size_t(mb) << 20;
#endif
}

BlockCache& host_block_cache() {
  // Leaked on purpose: tensors with static storage duration may be freed after any
  // function-local static would be destroyed.
  static BlockCache* cache = new BlockCache(capacity_from_env());
  return *cache;
}

}  // namespace gradlab::cpu
