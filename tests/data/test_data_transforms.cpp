// test_data_transforms.cpp — what happens after a source is read: class subsets and
// relabelling, first / random subsets, label noise and the randomisations of Zhang et al.
// 2017, the preprocess list, and the config checks of the data block.
//
// Inputs are built so that each value says where it came from: fake Fashion-MNIST pixel
// p of image i is (i + 3p) mod 256 (data_test_util.h), and npy value i·1000 + c·100 + p
// for image i, channel c, pixel position p. A subset or a permutation can then be read
// back from the values exactly.
#include <algorithm>
#include <cmath>
#include <set>

#include "data/data_internal.h"
#include "data_test_util.h"
#include "gradlab/data.h"
#include "gradlab/error.h"

using namespace gradlab;
using namespace data_test;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

constexpr int64_t kPixels = 12;  // fake Fashion-MNIST images are 4 x 3

// Index of the fake Fashion-MNIST image (< 256) that example k of `split` holds.
int64_t original_index(const DataSplit& split, int64_t k) {
  return static_cast<int64_t>(std::lround(split.x[static_cast<size_t>(k * kPixels)] * 255.0));
}

json fake_block(const TempDir& dir, json extra = json::object()) {
  json block = {{"source", "fashion_mnist"}, {"path", dir.path()}};
  block.update(extra);
  return block;
}

// An npy dataset of n images [3, 2, 2] with value i*1000 + c*100 + p, labels i % 3.
json channel_images(TempDir& dir, int64_t n_train, int64_t n_test) {
  auto write = [&](const std::string& stem, int64_t n, int64_t offset) {
    std::vector<double> x;
    std::vector<int64_t> y;
    for (int64_t i = offset; i < offset + n; ++i) {
      for (int c = 0; c < 3; ++c) {
        for (int p = 0; p < 4; ++p) x.push_back(static_cast<double>(i * 1000 + c * 100 + p));
      }
      y.push_back(i % 3);
    }
    write_file(dir.file(stem + "x.npy"), npy_file("<f8", {n, 3, 2, 2}, raw_bytes(x)));
    write_file(dir.file(stem + "y.npy"), npy_file("<i8", {n}, raw_bytes(y)));
  };
  write("train_", n_train, 0);
  write("test_", n_test, n_train);
  return {{"source", "npy"},
          {"x", dir.path() + "/train_x.npy"},
          {"y", dir.path() + "/train_y.npy"},
          {"x_test", dir.path() + "/test_x.npy"},
          {"y_test", dir.path() + "/test_y.npy"}};
}

// The permutation of the 4 pixel positions applied to channel-image example k (npy
// layout above), after checking that all 3 channels moved together.
std::vector<int64_t> recovered_permutation(const DataSplit& split, int64_t k) {
  std::vector<int64_t> perm(4);
  const double* x = &split.x[static_cast<size_t>(k * 12)];
  const double base = std::floor(x[0] / 1000.0) * 1000.0;
  for (int p = 0; p < 4; ++p) {
    perm[p] = static_cast<int64_t>(x[p] - base);
    for (int c = 1; c < 3; ++c)
      REQUIRE(x[c * 4 + p] == base + c * 100 + static_cast<double>(perm[p]));
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted == std::vector<int64_t>{0, 1, 2, 3});
  return perm;
}

}  // namespace

TEST_CASE("data: classes pick a subset and relabel it 0..k-1 in the order listed", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 100, 30, 4, 3);
  const Dataset ds =
      load_dataset(fake_block(dir, {{"classes", {7, 3}}, {"n_train", 5}, {"n_test", 4}}), 0);
  CHECK(ds.num_classes == 2);
  CHECK(ds.class_ids == std::vector<int64_t>{7, 3});
  CHECK(ds.class_names == std::vector<std::string>{"Sneaker", "Dress"});
  // The first 5 training images of classes 3 and 7 (label i % 10), in file order.
  const std::vector<int64_t> expected = {3, 7, 13, 17, 23};
  for (int64_t k = 0; k < 5; ++k) {
    CHECK(original_index(ds.train, k) == expected[k]);
    CHECK(ds.train.labels[k] == (expected[k] % 10 == 7 ? 0 : 1));
  }
  CHECK(original_index(ds.test, 0) == 3);  // the first test image of class 3
  CHECK(ds.description == "fashion_mnist: 5 train / 4 test, classes [7, 3], input [1, 4, 3]");

  CHECK_THAT(
      error_of<ConfigError>([&] {
        load_dataset(fake_block(dir, {{"classes", {3, 7}}, {"n_train", 50}}), 0);
      }),
      Contains(
          "data.n_train = 50, but fashion_mnist has only 20 training examples of classes [3, 7]"));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset(fake_block(dir, {{"n_test", 31}}), 0);
             }),
             Contains("data.n_test = 31, but fashion_mnist has only 30 test examples"));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset(fake_block(dir, {{"classes", {2, 12}}}), 0);
             }),
             Contains("data.classes: class 12 does not exist in fashion_mnist (class ids 0..9)"));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset(fake_block(dir, {{"classes", {2, 2}}}), 0);
             }),
             Contains("data.classes: class 2 is listed twice"));
}

TEST_CASE("data: a random subset is a seeded sample of the chosen classes, in file order",
          "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 100, 30, 4, 3);
  const json block = fake_block(
      dir, {{"subset", "random"}, {"classes", {1, 4, 5}}, {"n_train", 12}, {"n_test", 3}});
  auto picked = [&](uint64_t seed, json extra = json::object()) {
    json b = block;
    b.update(extra);
    const Dataset ds = load_dataset(b, seed);
    std::vector<int64_t> indices;
    for (int64_t k = 0; k < ds.train.n; ++k) indices.push_back(original_index(ds.train, k));
    return indices;
  };
  const std::vector<int64_t> a = picked(1);
  CHECK(a.size() == 12);
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(std::set<int64_t>(a.begin(), a.end()).size() == 12);
  for (int64_t i : a) CHECK((i % 10 == 1 || i % 10 == 4 || i % 10 == 5));
  CHECK(picked(1) == a);                   // same seed, same subset
  CHECK(picked(2) != a);                   // another seed, another one
  CHECK(picked(2, {{"seed", 1}}) == a);    // data.seed overrides the seed
  CHECK(picked(1, {{"n_test", 5}}) == a);  // n_test does not move the training sample
  CHECK(picked(1, {{"subset", "first"}}) ==
        std::vector<int64_t>{1, 4, 5, 11, 14, 15, 21, 24, 25, 31, 34, 35});
}

TEST_CASE("data: label_noise replaces round(p n) training labels and records them", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 200, 30, 4, 3);
  const Dataset clean = load_dataset(fake_block(dir), 3);
  const Dataset noisy = load_dataset(fake_block(dir, {{"label_noise", 0.3}}), 3);
  REQUIRE(noisy.noisy_indices.size() == 60);  // exactly round(0.3 · 200)
  CHECK(std::is_sorted(noisy.noisy_indices.begin(), noisy.noisy_indices.end()));
  CHECK(std::set<int64_t>(noisy.noisy_indices.begin(), noisy.noisy_indices.end()).size() == 60);
  const std::set<int64_t> chosen(noisy.noisy_indices.begin(), noisy.noisy_indices.end());
  int64_t changed = 0;
  for (int64_t i = 0; i < 200; ++i) {
    if (!chosen.count(i)) CHECK(noisy.train.labels[i] == clean.train.labels[i]);
    CHECK(noisy.train.labels[i] >= 0);
    CHECK(noisy.train.labels[i] < 10);
    changed += noisy.train.labels[i] != clean.train.labels[i];
  }
  // A random class equals the old one with probability 1/10: about 54 of 60 change.
  CHECK(changed >= 40);
  CHECK(changed <= 60);
  CHECK(noisy.test.labels == clean.test.labels);  // test labels stay clean
  CHECK(noisy.train.x == clean.train.x);
  CHECK(load_dataset(fake_block(dir, {{"label_noise", 0.3}}), 3).train.labels ==
        noisy.train.labels);
  CHECK(load_dataset(fake_block(dir, {{"label_noise", 0.3}}), 4).noisy_indices !=
        noisy.noisy_indices);
  CHECK_THAT(noisy.description, Contains("label_noise 0.3 (60 labels)"));
}

TEST_CASE("data: randomize labels draws every training label, leaves inputs and test alone",
          "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 200, 30, 4, 3);
  const Dataset clean = load_dataset(fake_block(dir, {{"classes", {0, 1, 2, 3}}}), 0);
  const Dataset random =
      load_dataset(fake_block(dir, {{"classes", {0, 1, 2, 3}}, {"randomize", "labels"}}), 0);
  CHECK(random.noisy_indices.size() == static_cast<size_t>(random.train.n));
  std::vector<int64_t> counts(4, 0);
  int64_t same = 0;
  for (int64_t i = 0; i < random.train.n; ++i) {
    REQUIRE(random.train.labels[i] >= 0);
    REQUIRE(random.train.labels[i] < 4);
    ++counts[random.train.labels[i]];
    same += random.train.labels[i] == clean.train.labels[i];
  }
  for (int64_t c : counts) CHECK(c > 0);
  CHECK(same < random.train.n / 2);  // ≈ 1/4 agree by chance
  CHECK(random.train.x == clean.train.x);
  CHECK(random.test.labels == clean.test.labels);
}

TEST_CASE("data: shuffled_pixels applies one permutation of pixel positions to every image",
          "[data]") {
  TempDir dir;
  const json block = channel_images(dir, 20, 6);
  json shuffled = block;
  shuffled["randomize"] = "shuffled_pixels";
  // Find a seed whose permutation is not the identity (1 in 24 are).
  Dataset ds;
  std::vector<int64_t> perm;
  for (uint64_t seed = 0; perm.empty() || perm == std::vector<int64_t>{0, 1, 2, 3}; ++seed) {
    ds = load_dataset(shuffled, seed);
    perm = recovered_permutation(ds.train, 0);
  }
  for (const DataSplit* split : {&ds.train, &ds.test}) {
    for (int64_t k = 0; k < split->n; ++k) CHECK(recovered_permutation(*split, k) == perm);
  }
  CHECK(ds.train.labels == load_dataset(block, 0).train.labels);
}

TEST_CASE("data: random_pixels draws a permutation per image, channels moving together", "[data]") {
  TempDir dir;
  json block = channel_images(dir, 40, 10);
  block["randomize"] = "random_pixels";
  const Dataset ds = load_dataset(block, 0);
  std::set<std::vector<int64_t>> distinct;
  for (const DataSplit* split : {&ds.train, &ds.test}) {
    for (int64_t k = 0; k < split->n; ++k) distinct.insert(recovered_permutation(*split, k));
  }
  // 50 draws from 24 permutations: a single shared one would leave 1.
  CHECK(distinct.size() >= 12);
  CHECK(load_dataset(block, 0).train.x == ds.train.x);
  CHECK(load_dataset(block, 1).train.x != ds.train.x);
}

TEST_CASE("data: gaussian inputs match the training data's per-feature mean and std", "[data]") {
  TempDir dir;
  // 4000 examples of 2 features: feature 0 in {0, 10} (mean 5, std 5), feature 1 = 3.
  std::vector<double> x;
  std::vector<int64_t> y;
  for (int i = 0; i < 4000; ++i) {
    x.push_back(i % 2 ? 10.0 : 0.0);
    x.push_back(3.0);
    y.push_back(i % 2);
  }
  write_file(dir.file("x.npy"), npy_file("<f8", {4000, 2}, raw_bytes(x)));
  write_file(dir.file("y.npy"), npy_file("<i8", {4000}, raw_bytes(y)));
  const Dataset ds = load_dataset({{"source", "npy"},
                                   {"x", dir.path() + "/x.npy"},
                                   {"y", dir.path() + "/y.npy"},
                                   {"randomize", "gaussian"}},
                                  0);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < 4000; ++i) {
    sum += ds.train.x[2 * i];
    sum2 += ds.train.x[2 * i] * ds.train.x[2 * i];
    CHECK(ds.train.x[2 * i + 1] == 3.0);  // std 0: the constant stays
  }
  const double mean = sum / 4000, sd = std::sqrt(sum2 / 4000 - mean * mean);
  CHECK(std::fabs(mean - 5.0) < 0.4);  // 5 standard errors (5 / √4000 ≈ 0.08)
  CHECK(std::fabs(sd - 5.0) < 0.3);
  std::set<double> values(ds.train.x.begin(), ds.train.x.end());
  CHECK(values.size() > 3000);  // continuous, not the two original values
  CHECK(ds.train.labels == y);
}

TEST_CASE("data: standardize and center use training statistics only", "[data]") {
  TempDir dir;
  // train feature 0: 1, 3 (mean 2, std 1); feature 1: constant 5. test: 7, 5.
  write_file(dir.file("x.npy"),
             npy_file("<f8", {2, 2}, raw_bytes(std::vector<double>{1, 5, 3, 5})));
  write_file(dir.file("y.npy"), npy_file("<i8", {2}, raw_bytes(std::vector<int64_t>{0, 1})));
  write_file(dir.file("xt.npy"), npy_file("<f8", {1, 2}, raw_bytes(std::vector<double>{7, 5})));
  write_file(dir.file("yt.npy"), npy_file("<i8", {1}, raw_bytes(std::vector<int64_t>{1})));
  json block = {{"source", "npy"},
                {"x", dir.path() + "/x.npy"},
                {"y", dir.path() + "/y.npy"},
                {"x_test", dir.path() + "/xt.npy"},
                {"y_test", dir.path() + "/yt.npy"}};
  block["preprocess"] = json::array({"standardize"});
  Dataset ds = load_dataset(block, 0);
  CHECK(ds.train.x == std::vector<double>{-1, 0, 1, 0});
  CHECK(ds.test.x ==
        std::vector<double>{5, 0});  // (7 - 2) / 1: the test set's own stats would give 0
  block["preprocess"] = json::array({"center"});
  ds = load_dataset(block, 0);
  CHECK(ds.train.x == std::vector<double>{-1, 0, 1, 0});
  CHECK(ds.test.x == std::vector<double>{5, 0});
  block["preprocess"] = json::array({"unit_norm"});
  ds = load_dataset(block, 0);
  CHECK(ds.test.x[0] == Approx(7 / std::sqrt(74.0)).epsilon(1e-15));
  CHECK(ds.test.x[1] == Approx(5 / std::sqrt(74.0)).epsilon(1e-15));
  block["preprocess"] = json::array({"standardize", "whiten"});
  CHECK_THAT(error_of<ConfigError>([&] { load_dataset(block, 0); }),
             Contains("data.preprocess: unknown entry \"whiten\" (valid: standardize, center, "
                      "downsample2, unit_norm)"));
  block["preprocess"] = json::array({"downsample2"});
  CHECK_THAT(
      error_of<ConfigError>([&] { load_dataset(block, 0); }),
      Contains("downsample2: needs image inputs [C, H, W] with H, W >= 2, got input shape [2]"));
}

TEST_CASE("data: downsample2 averages 2x2 blocks and floors odd sizes", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 3, 2, 4, 3);  // 4 x 3 → 2 x 1 (the last column is dropped)
  const Dataset ds =
      load_dataset(fake_block(dir, {{"preprocess", json::array({"downsample2"})}}), 0);
  CHECK(ds.input_shape == std::vector<int64_t>{1, 2, 1});
  CHECK(ds.train.x.size() == 3 * 2);
  // Image 2, output (0, 0) averages pixels p = 0, 1, 3, 4; output (1, 0) p = 6, 7, 9, 10.
  const double top =
      (fake_pixel(2, 0) + fake_pixel(2, 1) + fake_pixel(2, 3) + fake_pixel(2, 4)) / 255.0 / 4;
  const double bottom =
      (fake_pixel(2, 6) + fake_pixel(2, 7) + fake_pixel(2, 9) + fake_pixel(2, 10)) / 255.0 / 4;
  CHECK(ds.train.x[4] == Approx(top).epsilon(1e-15));
  CHECK(ds.train.x[5] == Approx(bottom).epsilon(1e-15));
}

TEST_CASE("data: the data block is validated with clear messages and defaults resolved", "[data]") {
  const json moons = {{"source", "synthetic"}, {"generator", "two_moons"}, {"n_train", 10}};
  auto error_with = [&](json extra) {
    json b = moons;
    b.update(extra);
    return error_of<ConfigError>([&] { load_dataset(b, 0); });
  };
  CHECK_THAT(error_with({{"noies", 0.1}}),
             Contains("unknown key data.noies for source synthetic (generator two_moons) — did you "
                      "mean data.noise?"));
  CHECK_THAT(error_with({{"n_train", -3}}),
             Contains("data.n_train: expected a non-negative integer or \"all\", got -3"));
  CHECK_THAT(error_with({{"n_train", "all"}}), Contains("synthetic data has no fixed size"));
  CHECK_THAT(error_with({{"label_noise", 1.5}}),
             Contains("data.label_noise: expected a number in [0, 1], got 1.5"));
  CHECK_THAT(error_with({{"randomize", "pixels"}}),
             Contains("data.randomize: expected one of none, labels, shuffled_pixels, "
                      "random_pixels, gaussian"));
  CHECK_THAT(error_with({{"targets", "one_hot"}}),
             Contains("data.targets: expected one of index, onehot"));
  CHECK_THAT(error_with({{"label_noise", 0.2}, {"randomize", "labels"}}),
             Contains("data.label_noise and data.randomize"));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset({{"source", "mnist"}}, 0);
             }),
             Contains("data.source: expected one of fashion_mnist, cifar10, npy, synthetic, text, "
                      "points, modular, sparse_parity, sorting, got \"mnist\""));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset({{"source", "synthetic"}, {"generator", "xor"}}, 0);
             }),
             Contains("data.n_train is required for source synthetic (generator xor)"));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset({{"source", "fashion_mnist"}, {"x", "a.npy"}}, 0);
             }),
             Contains("unknown key data.x for source fashion_mnist"));

  const json resolved = resolve_data_config(moons);
  CHECK(resolved["noise"] == 0.1);
  CHECK(resolved["n_test"] == 0);
  CHECK(resolved["targets"] == "index");
  CHECK(resolved["preprocess"] == json::array());
  CHECK(resolve_data_config({{"source", "fashion_mnist"}})["path"] ==
        "/usr/share/datasets/fashion-mnist");
  CHECK(resolve_data_config({{"source", "text"}, {"path", "a.txt"}, {"seq_len", 16}})["stride"] ==
        16);
  // The names `gradlab list` shows are the ones the config accepts (whatever else the
  // block lacks, the source itself is not what is rejected).
  for (const auto& source : data_sources()) {
    const std::string name = source.first;  // (C++17 lambdas cannot capture a structured binding)
    CHECK_THAT(error_of<ConfigError>([&] {
                 resolve_data_config({{"source", name}, {"bogus", 1}});
               }),
               !Contains("data.source"));
  }
  for (const auto& [name, line] : synthetic_generators()) {
    CHECK_NOTHROW(
        resolve_data_config({{"source", "synthetic"}, {"generator", name}, {"n_train", 1}}));
  }
  json onehot = moons;
  onehot["targets"] = "onehot";
  CHECK(load_dataset(onehot, 0).targets == TargetEncoding::onehot);
  CHECK(load_dataset(moons, 0).targets == TargetEncoding::index);
}
