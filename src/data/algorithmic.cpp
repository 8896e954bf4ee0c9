// algorithmic.cpp — the two algorithmic data sets of the "named phenomena" kinds.
//
// modular (grokking; Power et al. 2022, Gromov 2023): every pair (a, b) of residues mod a
// prime p, labelled c = (a op b) mod p for op ∈ {add, sub, mul, div}; div is a · b⁻¹ with b⁻¹
// the modular inverse (b^(p−2) by Fermat), so b = 0 is left out (p(p−1) pairs instead of p²).
// The input is the concatenated one-hot code of a and b, x ∈ {0, 1}^(2p) with x[a] = 1 and
// x[p + b] = 1: a first Linear layer on it is exactly a learned embedding of a plus one of b
// (Gromov's "embedding-MLP"). A seeded permutation of the pairs puts the first
// round(train_fraction · N) in the training split and the rest in the test split.
// With encoding = tokens the input is instead the sequence "a b =" of token ids [a, b, p]
// (token p is "="), as Nanda et al. 2023 feed their one-layer transformer; the answer is read
// at the last position. Same pairs, same split: only the presentation differs.
//
// sparse_parity (Barak et al. 2022): x uniform on {−1, +1}^n, y = ∏_{i∈S} x_i for a secret
// set S of k coordinates (the first k of a seeded permutation of 0..n−1, sorted). Labels are
// classes: 0 for y = −1, 1 for y = +1 (hinge and logistic losses read them as ∓1). Training
// and test examples come from separate streams; the sparse_parity kind can also draw fresh
// batches online with sparse_parity_sample (gradlab/data.h).
//
// sorting (a sequence task for the sequence models' edge of stability, issue 20): a sequence
// a of `length` tokens drawn uniformly from 0..vocab−1, followed by its sorted copy; s = a ‖ sort(a)
// has 2·length tokens. Next-token prediction: input s[0, 2L−1), labels s[1, 2L). Positions
// 0..L−2 would predict the rest of the random half, which no model can learn, so their label is
// kNoLossLabel (gradlab/loss.h: no loss, no accuracy); positions L−1..2L−2 predict the L tokens
// of the sorted half. Training and test examples come from separate streams.
#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>

#include "data/data_internal.h"
#include "gradlab/error.h"
#include "gradlab/loss.h"
#include "gradlab/text.h"

namespace gradlab {

std::vector<int64_t> sparse_parity_secret(int64_t n_bits, int64_t k, Rng& rng) {
  std::vector<int64_t> order = rng.permutation(n_bits);
  std::vector<int64_t> secret(order.begin(), order.begin() + k);
  std::sort(secret.begin(), secret.end());
  return secret;
}

void sparse_parity_sample(int64_t n_bits, const std::vector<int64_t>& secret, int64_t count,
                          Rng& rng, std::vector<double>& x, std::vector<int64_t>& labels) {
  x.resize(static_cast<size_t>(count * n_bits));
  labels.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    double* row = x.data() + i * n_bits;
    for (int64_t j = 0; j < n_bits; ++j) row[j] = rng.below(2) == 0 ? -1.0 : 1.0;
    double y = 1.0;
    for (int64_t s : secret) y *= row[s];
    labels[static_cast<size_t>(i)] = y > 0 ? 1 : 0;
  }
}

namespace data {
namespace {

bool is_prime(int64_t p) {
  if (p < 2) return false;
  for (int64_t d = 2; d * d <= p; ++d)
    if (p % d == 0) return false;
  return true;
}

int64_t pow_mod(int64_t base, int64_t e, int64_t p) {
  int64_t r = 1;
  base %= p;
  while (e > 0) {
    if (e & 1) r = r * base % p;
    base = base * base % p;
    e >>= 1;
  }
  return r;
}

SourceSplit split_of(std::shared_ptr<std::vector<double>> x, std::vector<int64_t> labels,
                     int64_t dim) {
  SourceSplit s;
  s.n = static_cast<int64_t>(labels.size());
  s.labels = std::move(labels);
  s.read_input = [x, dim](int64_t index, double* out) {
    std::copy(x->begin() + index * dim, x->begin() + (index + 1) * dim, out);
  };
  return s;
}

}  // namespace

SourceData generate_modular(const DataConfig& config, Rng& rng) {
  const nlohmann::json& b = config.block;
  const int64_t p = b.at("p").get<int64_t>();
  if (!is_prime(p))
    fail<ConfigError>("data.p: ", p, " is not prime (the modular data set needs a prime modulus, ",
                      "so that every nonzero residue has an inverse; e.g. 59, 97, 113)");
  const std::string op = b.at("op").get<std::string>();
  const double fraction = b.at("train_fraction").get<double>();
  std::vector<int64_t> a_of, b_of, c_of;
  for (int64_t a = 0; a < p; ++a)
    for (int64_t bb = op == "div" ? 1 : 0; bb < p; ++bb) {
      int64_t c = 0;
      if (op == "add") c = (a + bb) % p;
      else if (op == "sub") c = ((a - bb) % p + p) % p;
      else if (op == "mul") c = a * bb % p;
      else c = a * pow_mod(bb, p - 2, p) % p;  // a / b = a · b^(p−2) (Fermat)
      a_of.push_back(a);
      b_of.push_back(bb);
      c_of.push_back(c);
    }
  const auto total = static_cast<int64_t>(c_of.size());
  const auto n_train = static_cast<int64_t>(std::llround(fraction * static_cast<double>(total)));
  if (n_train < 1 || n_train > total)
    fail<ConfigError>("data.train_fraction: ", fraction, " of ", total,
                      " pairs leaves an empty training split");
  const std::vector<int64_t> order = rng.permutation(total);
  const bool tokens = b.at("encoding").get<std::string>() == "tokens";
  const int64_t dim = tokens ? 3 : 2 * p;
  auto x_train = std::make_shared<std::vector<double>>(static_cast<size_t>(n_train * dim), 0.0);
  auto x_test =
      std::make_shared<std::vector<double>>(static_cast<size_t>((total - n_train) * dim), 0.0);
  std::vector<int64_t> y_train, y_test;
  for (int64_t r = 0; r < total; ++r) {
    const auto i = static_cast<size_t>(order[static_cast<size_t>(r)]);
    const bool train = r < n_train;
    const int64_t row = train ? r : r - n_train;
    double* x = (train ? x_train : x_test)->data() + row * dim;
    if (tokens) {
      x[0] = static_cast<double>(a_of[i]);
      x[1] = static_cast<double>(b_of[i]);
      x[2] = static_cast<double>(p);  // "="
    } else {
      x[a_of[i]] = 1.0;
      x[p + b_of[i]] = 1.0;
    }
    (train ? y_train : y_test).push_back(c_of[i]);
  }
  SourceData source;
  source.name = "modular";
  TextBuilder details;
  details << "(a " << op << " b) mod " << p << ", train_fraction " << fraction
          << (tokens ? ", tokens \"a b =\"" : ", one-hot");
  source.details = details.str();
  source.train = split_of(x_train, std::move(y_train), dim);
  source.test = split_of(x_test, std::move(y_test), dim);
  source.input_shape = {dim};
  source.num_classes = p;
  if (tokens) source.token_vocab = p + 1;
  return source;
}

SourceData generate_sparse_parity(const DataConfig& config, Rng& rng) {
  const nlohmann::json& b = config.block;
  const int64_t n = b.at("n_bits").get<int64_t>();
  const int64_t k = b.at("k").get<int64_t>();
  if (k > n) fail<ConfigError>("data.k: ", k, " secret coordinates, but data.n_bits is ", n);
  // Streams: 0 = the secret, 1 = training examples, 2 = test examples.
  Rng secret_rng = rng.split(0), train_rng = rng.split(1), test_rng = rng.split(2);
  SourceData source;
  source.name = "sparse_parity";
  source.secret = sparse_parity_secret(n, k, secret_rng);
  TextBuilder details;
  details << "n " << n << ", k " << k << ", secret " << shape_str(source.secret);
  source.details = details.str();
  for (auto [split, stream, count] :
       {std::tuple{&source.train, &train_rng, config.n_train.value_or(0)},
        std::tuple{&source.test, &test_rng, config.n_test.value_or(0)}}) {
    auto x = std::make_shared<std::vector<double>>();
    std::vector<int64_t> labels;
    sparse_parity_sample(n, source.secret, count, *stream, *x, labels);
    *split = split_of(x, std::move(labels), n);
  }
  source.input_shape = {n};
  source.num_classes = 2;
  return source;
}

SourceData generate_sorting(const DataConfig& config, Rng& rng) {
  const nlohmann::json& b = config.block;
  const int64_t length = b.at("length").get<int64_t>();
  const int64_t vocab = b.at("vocab").get<int64_t>();
  const int64_t steps = 2 * length - 1;  // input tokens (and labels) per example
  // Streams: 1 = training examples, 2 = test examples.
  Rng train_rng = rng.split(1), test_rng = rng.split(2);
  SourceData source;
  source.name = "sorting";
  for (auto [split, stream, count] :
       {std::tuple{&source.train, &train_rng, config.n_train.value_or(0)},
        std::tuple{&source.test, &test_rng, config.n_test.value_or(0)}}) {
    auto x = std::make_shared<std::vector<double>>();
    std::vector<int64_t> labels;
    x->reserve(static_cast<size_t>(count * steps));
    labels.reserve(static_cast<size_t>(count * steps));
    std::vector<int64_t> seq(static_cast<size_t>(2 * length));
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t t = 0; t < length; ++t)
        seq[static_cast<size_t>(t)] = static_cast<int64_t>(stream->below(static_cast<uint64_t>(vocab)));
      std::copy(seq.begin(), seq.begin() + length, seq.begin() + length);
      std::sort(seq.begin() + length, seq.end());
      for (int64_t t = 0; t < steps; ++t) {
        x->push_back(static_cast<double>(seq[static_cast<size_t>(t)]));
        labels.push_back(t < length - 1 ? kNoLossLabel : seq[static_cast<size_t>(t + 1)]);
      }
    }
    *split = split_of(x, std::move(labels), steps);
  }
  for (int64_t v = 0; v < vocab; ++v) source.vocabulary.push_back(std::to_string(v));
  TextBuilder details;
  details << "length " << length << ", vocabulary " << vocab << ", loss on the sorted half";
  source.details = details.str();
  source.input_shape = {steps};
  source.label_shape = {steps};
  source.num_classes = vocab;
  source.token_vocab = vocab;  // token ids in [0, vocab)
  return source;
}

}  // namespace data
}  // namespace gradlab
