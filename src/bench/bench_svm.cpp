// bench_svm.cpp — SMO solve time (issue 6): a linear and an RBF soft-margin C-SVC (C = 1,
// tol 1e-3 = libsvm's default stopping tolerance, γ = 0.01 for rbf on pixels in [0, 1]) on
// n = 5,000 Fashion-MNIST training examples of two classes (5 sandal vs 7 sneaker), 784
// features. One call = one full svm::solve (kernel matrix, SMO, outputs); data loading is
// outside the timing. --quick uses n = 1,000. --fashion-dir points at the IDX files (the WASM
// build, which cannot inflate the Debian package's .gz files, needs an uncompressed copy; ./lab
// bench makes one).
//
// The scikit-learn reference (SVC, i.e. libsvm, with the same data, C, γ and tol) is
// src/bench/svm_sklearn.py: run it in the same sitting, it prints lines with the same keys and
// peer "sklearn".
#include <iostream>
#include <vector>

#include "bench.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/svm.h"

namespace gradlab::bench {

GRADLAB_BENCHMARK(svm_solve) {
  const int64_t n = ctx.quick() ? 1000 : 5000;
  Dataset data;
  try {
    nlohmann::json block = {
        {"source", "fashion_mnist"}, {"classes", {5, 7}}, {"n_train", n}, {"n_test", 100}};
    if (!ctx.options().fashion_dir.empty()) block["path"] = ctx.options().fashion_dir;
    data = load_dataset(block, 0);
  } catch (const Error& e) {
    std::cerr << "svm_solve: skipped (" << e.what() << ")\n";
    return;
  }
  const int64_t d = data.input_size();
  std::vector<double> y(data.train.n);  // (n) ±1: class 7 → +1
  for (int64_t i = 0; i < data.train.n; ++i) y[i] = data.train.labels[i] == 1 ? 1.0 : -1.0;
  for (svm::KernelType k : {svm::KernelType::linear, svm::KernelType::rbf}) {
    svm::Options o;
    o.kernel.type = k;
    o.kernel.gamma = 0.01;
    o.C = 1.0;
    o.tol = 1e-3;
    svm::Model m;
    const Timing t = measure([&] { m = svm::solve(data.train.x, y, d, o); });
    Record(ctx)
        .set("n", data.train.n)
        .set("d", d)
        .set("kernel", svm::kernel_name(k))
        .set("C", 1.0)
        .set("tol", 1e-3, 6)
        .set("n_sv", static_cast<int64_t>(m.support.size()))
        .set("iterations", m.iterations)
        .set("dual_objective", m.dual_objective, 6)
        .timing(t)
        .emit();
  }
}

}  // namespace gradlab::bench
