// svm_margin: the max-margin classifier and its margin bound on one data set (issue 6).
//
// One step: load the data (two classes → labels −1 / +1), solve the C-SVC dual with the
// configured kernel (svm.h), then evaluate the margin bound for the normalised problem
// (Bartlett & Shawe-Taylor 1999; the form of Mohri et al., "Foundations of ML", Thm 5.8):
//
//   test error ≤ ν + 2/(ρ̃√m) + √(log(1/δ)/(2m)),   ρ̃ = ρ/R,  R = maxᵢ √K(xᵢ, xᵢ),
//
// where ν is the fraction of training points with yᵢf(xᵢ) < 1 (0 for a hard margin). The
// normalisation: the bound is stated for ‖φ(x)‖ ≤ 1 and ‖w‖ ≤ 1/ρ; rescaling feature space by
// 1/R makes max‖φ(x)‖ = 1 and turns ρ into ρ/R (for the linear kernel this is exactly scaling
// the inputs so max‖x‖ = 1). The reported `margin` is ρ on the data as given. The bound is
// vacuous when it exceeds 1. Rows: one (step 0). Summary: see docs/kinds/svm_margin.md.
#include <cmath>
#include <limits>

#include "experiments/svm_experiments.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/svm.h"
#include "gradlab/text.h"

namespace gradlab {

std::vector<double> svm_signed_labels(const std::vector<int64_t>& labels, int64_t num_classes,
                                      const char* kind) {
  if (num_classes != 2)
    fail<ConfigError>(kind, ": needs exactly two classes (labels −1 / +1) but the data have ",
                      num_classes, num_classes == 0 ? " (regression targets)" : "",
                      "; pick two with data.classes, e.g. [0, 1]");
  std::vector<double> y(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) y[i] = labels[i] == 1 ? 1.0 : -1.0;
  return y;
}

namespace {

svm::Options svm_options(const Json& config, bool with_c) {
  svm::Options o;
  // The resolved svm block: svm_margin has every key that applies to its kernel; implicit_bias
  // (with_c false) only svm.tol, and solves a linear hard-margin SVM (svm::Options' kernel).
  const Json& svm_block = config.at("svm");
  if (svm_block.contains("kernel"))
    o.kernel.type = svm::parse_kernel(svm_block["kernel"].get<std::string>());
  if (svm_block.contains("gamma")) o.kernel.gamma = svm_block["gamma"].get<double>();
  if (svm_block.contains("degree")) o.kernel.degree = svm_block["degree"].get<int>();
  if (svm_block.contains("coef0")) o.kernel.coef0 = svm_block["coef0"].get<double>();
  o.tol = svm_block.at("tol").get<double>();
  if (with_c && svm_block.contains("C")) {
    const Json& c = svm_block.at("C");
    if (c.is_string()) {
      if (c.get<std::string>() != "inf")
        fail<ConfigError>("svm.C: \"", c.get<std::string>(), "\" is not a number or \"inf\"");
      o.C = std::numeric_limits<double>::infinity();
    } else {
      o.C = c.get<double>();
      if (!(o.C > 0)) fail<ConfigError>("svm.C: must be positive (or \"inf\"), got ", o.C);
    }
  }
  return o;
}

class SvmMarginExperiment : public Experiment {
 public:
  explicit SvmMarginExperiment(const Json& config) : config_(config) {
    options_ = svm_options(config, true);
    delta_ = config.at("svm").at("delta").get<double>();
    if (!(delta_ > 0 && delta_ < 1)) fail<ConfigError>("svm.delta: must be in (0, 1), got ", delta_);
    data_ = load_dataset(config.at("data"), config.at("seed").get<uint64_t>(),
                         LabelValues::AnyTwo);
    y_train_ = svm_signed_labels(data_.train.labels, data_.num_classes, "svm_margin");
    y_test_ = svm_signed_labels(data_.test.labels, data_.num_classes, "svm_margin");
  }

  int64_t total_steps() const override { return 1; }
  int64_t steps_done() const override { return solved_ ? 1 : 0; }

  std::optional<Json> step() override {
    if (solved_) return std::nullopt;
    solve();
    Json r = Json::object();
    r["step"] = 0;
    r["margin"] = model_.margin;
    r["n_sv"] = model_.support.size();
    r["bound"] = bound_;
    r["train_error"] = train_error_;
    if (data_.test.n > 0) r["test_error"] = test_error_;
    return r;
  }

  Json summary(const std::vector<Json>&) const override {
    Json s = Json::object();
    s["kind"] = "svm_margin";
    if (!solved_) return s;
    const svm::Model& m = model_;
    s["kernel"] = svm::kernel_name(options_.kernel.type);
    if (std::isinf(options_.C)) s["C"] = "inf";
    else s["C"] = options_.C;
    s["m"] = data_.train.n;
    s["margin"] = m.margin;
    s["radius"] = radius_;
    s["margin_normalized"] = m.margin / radius_;
    s["bias"] = m.bias;
    s["n_sv"] = m.support.size();
    s["support_indices"] = m.support;
    s["dual_coef"] = m.dual_coef;
    s["margin_sv_indices"] = m.margin_sv;
    s["bound_sv_indices"] = m.bound_sv;
    s["n_margin_sv"] = m.margin_sv.size();
    s["n_bound_sv"] = m.bound_sv.size();
    s["dual_objective"] = m.dual_objective;
    s["primal_objective"] = m.primal_objective;
    s["train_error"] = train_error_;
    if (data_.test.n > 0) s["test_error"] = test_error_;
    if (!m.w.empty()) s["w"] = m.w;
    s["bound"] = bound_;
    s["bound_empirical"] = bound_empirical_;
    s["bound_complexity"] = bound_complexity_;
    s["bound_confidence"] = bound_confidence_;
    s["bound_vacuous"] = bound_ > 1;
    s["delta"] = delta_;
    s["iterations"] = m.iterations;
    s["kkt_gap"] = m.kkt_gap;
    s["converged"] = m.converged;
    return s;
  }

  // The solve is deterministic: a checkpoint only records whether it happened.
  void save_state(NamedTensors&, Json& state) const override { state["solved"] = solved_; }
  void load_state(const SafetensorsFile&, const Json& state) override {
    if (state.value("solved", false) && !solved_) solve();
  }

  std::string description() const override {
    TextBuilder os;
    os << "svm_margin: " << svm::kernel_name(options_.kernel.type) << " kernel, C = "
       << (std::isinf(options_.C) ? std::string("inf (hard margin)") : std::to_string(options_.C))
       << ", " << data_.description;
    return os.str();
  }

 private:
  void solve() {
    const int64_t d = data_.input_size();
    model_ = svm::solve(data_.train.x, y_train_, d, options_);
    train_error_ = model_.error(data_.train.x, y_train_);
    if (data_.test.n > 0) test_error_ = model_.error(data_.test.x, y_test_);
    // R = max ‖φ(xᵢ)‖ over the training set; the bound uses ρ/R (see the file comment).
    double r2 = 0;
    int64_t violations = 0;
    for (int64_t i = 0; i < data_.train.n; ++i) {
      const double* xi = &data_.train.x[i * d];
      r2 = std::max(r2, options_.kernel(xi, xi, d));
      if (y_train_[i] * model_.decision(xi) < 1 - options_.tol) ++violations;  // within the KKT tolerance
    }
    radius_ = std::sqrt(r2);
    const double mm = static_cast<double>(data_.train.n);
    bound_empirical_ = std::isinf(options_.C) ? 0.0 : violations / mm;
    bound_complexity_ = 2 / ((model_.margin / radius_) * std::sqrt(mm));
    bound_confidence_ = std::sqrt(std::log(1 / delta_) / (2 * mm));
    bound_ = bound_empirical_ + bound_complexity_ + bound_confidence_;
    solved_ = true;
  }

  Json config_;
  svm::Options options_;
  double delta_ = 0.05;
  Dataset data_;
  std::vector<double> y_train_, y_test_;  // (n) ±1
  bool solved_ = false;
  svm::Model model_;
  double train_error_ = 0, test_error_ = 0, radius_ = 0;
  double bound_ = 0, bound_empirical_ = 0, bound_complexity_ = 0, bound_confidence_ = 0;
};

}  // namespace

std::unique_ptr<Experiment> make_svm_margin(const Json& config) {
  return std::make_unique<SvmMarginExperiment>(config);
}

// Used by implicit_bias.cpp: the svm block without C (that kind always uses a hard margin).
svm::Options implicit_bias_svm_options(const Json& config) { return svm_options(config, false); }

}  // namespace gradlab
