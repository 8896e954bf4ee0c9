// schema_data.cpp — the keys of the `data` block (docs/design.md §3).
//
// They mirror exactly what the data loaders accept (src/data/config.cpp, docs/data.md):
// which keys exist for each source and synthetic generator, their ranges and defaults.
// tests/config/test_config.cpp checks that the defaults filled here equal
// resolve_data_config's, and validate_config runs the loader's own cross-key rules too.
#include "gradlab/config_keys.h"

namespace gradlab::config::schema_tables {

std::vector<KeySpec> data_keys() {
  const std::vector<Json> kNotSynthetic =
      names({"fashion_mnist", "cifar10", "npy", "text", "points", "modular"});
  const std::vector<Json> kDrawn = names({"synthetic", "sparse_parity", "sorting"});
  const std::vector<Json> generators = names({"gaussian_mixture", "linearly_separable", "two_moons",
                                              "circles", "xor", "spiral", "teacher_mlp",
                                              "gaussian_regression"});
  return {
      key("data.source", T::String, required, "where the examples come from")
          .one_of({"fashion_mnist", "cifar10", "npy", "synthetic", "text", "points", "modular",
                   "sparse_parity", "sorting"}),
      key("data.seed", T::Int, required,
          "seed for the data alone (subset, noise, generator); absent: the experiment seed")
          .at_least(0)
          .optional(),
      key("data.generator", T::String, required, "the synthetic data generator")
          .one_of(generators)
          .when("data.source", {"synthetic"}),
      key("data.n_train", T::IntOrString, "all", "training examples: the first n (or \"all\")")
          .one_of({"all"})
          .at_least(0)
          .when("data.source", kNotSynthetic),
      key("data.n_train", T::Int, required, "training examples to generate")
          .at_least(0)
          .when("data.source", kDrawn),
      key("data.n_test", T::IntOrString, "all", "test examples: the first n (or \"all\")")
          .one_of({"all"})
          .at_least(0)
          .when("data.source", kNotSynthetic),
      key("data.n_test", T::Int, 0, "test examples to generate")
          .at_least(0)
          .when("data.source", kDrawn),
      key("data.classes", T::IntListOrString, "all",
          "class ids to keep, in label order (label 0 is the first listed); \"all\" keeps all")
          .one_of({"all"})
          .at_least(0)
          .items(1),
      key("data.subset", T::String, "first",
          "which n_train / n_test examples: the first ones, or a seeded random choice")
          .one_of({"first", "random"}),
      key("data.label_noise", T::Number, 0.0,
          "fraction of training labels replaced by uniformly random ones (Zhang et al. 2017)")
          .in(0, 1),
      key("data.randomize", T::String, "none",
          "Zhang et al. 2017 randomisation: random labels, one fixed pixel permutation, "
          "per-image permutations, or Gaussian inputs")
          .one_of({"none", "labels", "shuffled_pixels", "random_pixels", "gaussian"}),
      key("data.preprocess", T::StringList, Json::array(),
          "input transforms in order, statistics from the training split")
          .one_of({"standardize", "center", "downsample2", "unit_norm"}),
      key("data.targets", T::String, "index",
          "class targets as indices (cross-entropy) or one-hot rows (e.g. MSE, Cohen et al. 2021)")
          .one_of({"index", "onehot"}),
      key("data.path", T::Path, "/usr/share/datasets/fashion-mnist",
          "folder of the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist)")
          .when("data.source", {"fashion_mnist"}),
      key("data.path", T::Path, required, "folder of the CIFAR-10 binary batches")
          .when("data.source", {"cifar10"}),
      key("data.path", T::Path, required, "the text file (UTF-8, character level)")
          .when("data.source", {"text"}),
      key("data.x", T::Path, required, "training inputs, a .npy array [n, ...]")
          .when("data.source", {"npy"}),
      key("data.y", T::Path, required,
          "training targets, a .npy array [n] of class ids (integers) or [n, k] regression targets")
          .when("data.source", {"npy"}),
      key("data.x_test", T::Path, required, "test inputs (.npy); goes with data.y_test")
          .optional()
          .when("data.source", {"npy"}),
      key("data.y_test", T::Path, required, "test targets (.npy); goes with data.x_test")
          .optional()
          .when("data.source", {"npy"}),
      key("data.points", T::NumberRows, required,
          "the training inputs inline, one row [x1, ..., xd] per example (the browser's SVM page)")
          .items(1)
          .when("data.source", {"points"}),
      key("data.labels", T::IntList, required,
          "class id of each row of data.points (0, 1, ...; at least two classes are assumed); "
          "svm_margin and implicit_bias take any two values, e.g. -1/+1 (the smaller is -1)")
          .when("data.source", {"points"}),
      key("data.seq_len", T::Int, required, "tokens per training window")
          .at_least(1)
          .when("data.source", {"text"}),
      key("data.stride", T::Int, required, "tokens between window starts; default data.seq_len")
          .at_least(1)
          .default_from("data.seq_len")
          .when("data.source", {"text"}),
      key("data.test_fraction", T::Number, 0.1, "the last fraction of the text held out as test")
          .in(0, 0.9)
          .when("data.source", {"text"}),
      // The algorithmic sets (src/data/algorithmic.cpp, docs/data.md).
      key("data.p", T::Int, 97, "the prime modulus: inputs are residues 0..p-1, p classes")
          .at_least(2)
          .when("data.source", {"modular"}),
      key("data.op", T::String, "add",
          "the operation: (a + b), (a - b), (a * b) or (a / b) mod p (div leaves out b = 0)")
          .one_of({"add", "sub", "mul", "div"})
          .when("data.source", {"modular"}),
      key("data.train_fraction", T::Number, 0.5,
          "fraction of all pairs in the training split (a seeded choice); the rest is the test set")
          .in(0, 1)
          .when("data.source", {"modular"}),
      key("data.encoding", T::String, "onehot",
          "the input: onehot = x in {0,1}^(2p) (one-hot a, then b); tokens = the sequence "
          "\"a b =\" as token ids [a, b, p] for a transformer (Nanda et al. 2023)")
          .one_of({"onehot", "tokens"})
          .when("data.source", {"modular"}),
      key("data.n_bits", T::Int, 20, "input dimension n: x uniform in {-1, +1}^n")
          .at_least(1)
          .when("data.source", {"sparse_parity"}),
      key("data.k", T::Int, 3, "the parity's order: y is the product of k secret coordinates")
          .at_least(1)
          .when("data.source", {"sparse_parity"}),
      key("data.length", T::Int, 8,
          "tokens to sort: an example is the sequence then its sorted copy (2·length − 1 inputs)")
          .at_least(2)
          .when("data.source", {"sorting"}),
      key("data.vocab", T::Int, 4, "token values 0..vocab−1, drawn uniformly")
          .at_least(2)
          .when("data.source", {"sorting"}),
      // Synthetic generators' own knobs (defaults differ per generator).
      key("data.num_classes", T::Int, 2, "number of Gaussian blobs (classes)")
          .at_least(2)
          .when("data.generator", {"gaussian_mixture"}),
      key("data.num_classes", T::Int, 3, "number of spiral arms (classes)")
          .at_least(2)
          .when("data.generator", {"spiral"}),
      key("data.dim", T::Int, 2, "input dimension")
          .at_least(1)
          .when("data.generator", {"gaussian_mixture", "linearly_separable"}),
      key("data.dim", T::Int, 10, "input dimension")
          .at_least(1)
          .when("data.generator", {"teacher_mlp"}),
      key("data.dim", T::Int, 8, "input dimension")
          .at_least(1)
          .when("data.generator", {"gaussian_regression"}),
      key("data.separation", T::Number, 4.0, "distance between neighbouring blob means")
          .at_least(0)
          .when("data.generator", {"gaussian_mixture"}),
      key("data.std", T::Number, 1.0, "standard deviation of each blob")
          .at_least(0)
          .when("data.generator", {"gaussian_mixture"}),
      key("data.margin", T::Number, 0.1, "minimum |w·x| kept by rejection sampling")
          .in(0, 3)
          .when("data.generator", {"linearly_separable"}),
      key("data.noise", T::Number, 0.1, "standard deviation of the Gaussian noise")
          .at_least(0)
          .when("data.generator", {"two_moons"}),
      key("data.noise", T::Number, 0.05, "standard deviation of the Gaussian noise")
          .at_least(0)
          .when("data.generator", {"circles", "spiral"}),
      key("data.noise", T::Number, 0.2, "standard deviation of the Gaussian noise")
          .at_least(0)
          .when("data.generator", {"xor"}),
      key("data.noise", T::Number, 0.0, "standard deviation of the noise added to the targets")
          .at_least(0)
          .when("data.generator", {"teacher_mlp"}),
      key("data.factor", T::Number, 0.5, "radius of the inner circle (the outer one is 1)")
          .in(0, 1)
          .when("data.generator", {"circles"}),
      key("data.turns", T::Number, 1.0, "turns of each spiral arm")
          .in(0, 100)
          .when("data.generator", {"spiral"}),
      key("data.widths", T::IntList, Json::array({32}), "hidden widths of the teacher MLP")
          .at_least(1)
          .when("data.generator", {"teacher_mlp"}),
      key("data.output_dim", T::Int, 1, "regression targets per example")
          .at_least(1)
          .when("data.generator", {"teacher_mlp", "gaussian_regression"}),
  };
}

}  // namespace gradlab::config::schema_tables
