// tests/backend/test_block_cache.cpp — the CPU backend's cache of freed large blocks
// (src/backend/cpu/block_cache.h): reuse by exact size, the small-block and capacity limits,
// and that tensors built on recycled memory still start from the values they are given.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "backend/cpu/block_cache.h"
#include "gradlab/tensor.h"

using gradlab::cpu::BlockCache;

TEST_CASE("block cache returns a freed block of the same size and no other", "[backend]") {
  BlockCache cache(size_t(64) << 20);
  const size_t big = size_t(1) << 20;
  void* p = std::aligned_alloc(64, big);
  REQUIRE(cache.take(big) == nullptr);
  REQUIRE(cache.give(p, big));
  CHECK(cache.cached_bytes() == big);
  CHECK(cache.take(big + 64) == nullptr);  // exact size only
  CHECK(cache.take(big) == p);
  CHECK(cache.cached_bytes() == 0);
  CHECK(cache.take(big) == nullptr);       // handed out once
  std::free(p);
}

TEST_CASE("block cache keeps neither small blocks nor more than its capacity", "[backend]") {
  const size_t big = BlockCache::kMinBytes * 4;
  BlockCache cache(big * 2);
  void* small = std::aligned_alloc(64, 64);
  CHECK_FALSE(cache.give(small, 64));
  std::free(small);

  std::vector<void*> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(std::aligned_alloc(64, big));
  CHECK(cache.give(blocks[0], big));
  CHECK(cache.give(blocks[1], big));
  CHECK_FALSE(cache.give(blocks[2], big));  // would exceed the capacity: the caller frees it
  CHECK(cache.cached_bytes() == big * 2);
  std::free(blocks[2]);
  cache.release_all();
  CHECK(cache.cached_bytes() == 0);
  CHECK(cache.take(big) == nullptr);

  BlockCache off(0);
  void* p = std::aligned_alloc(64, big);
  CHECK_FALSE(off.give(p, big));
  std::free(p);
}

TEST_CASE("tensors on recycled CPU memory hold exactly what they are given", "[backend]") {
  // A large buffer is freed into the cache, then the next one of that size reuses it: zeros()
  // and full() must still write every element (recycled memory is not zero-filled by the OS).
  const int64_t n = 1 << 16;  // 256 KiB of float32: above the cache's minimum block size
  {
    gradlab::Tensor t = gradlab::full({n}, 7.0);
    (void)t;
  }
  gradlab::Tensor z = gradlab::zeros({n});
  std::vector<float> v = z.to_vector_f32();
  bool all_zero = true;
  for (float x : v) all_zero = all_zero && x == 0.0f;
  CHECK(all_zero);
}
