// edge_of_stability — full-batch GD with periodic Hessian top-eigenvalue probes (Cohen et al.
// 2021, "Gradient descent on neural networks typically occurs at the edge of stability"):
// the sharpness rises (progressive sharpening) until it reaches the optimizer's stability
// threshold 2/η, then hovers there while the loss keeps falling non-monotonically.
//
// The training loop and the probe are the shared TrainingExperiment's (training.cpp,
// sharpness_probe.cpp); this file is the kind: its descriptor and its summary figures.
//   initial_/final_/max_sharpness  over every probed row (gradient flow too, which has no
//                                  threshold and keeps sharpening where GD stops)
//   threshold, eos_step            the first probed step with sharpness ≥ 0.95·threshold
//   loss_at_eos                    the loss there (final_loss < loss_at_eos: it keeps falling)
//   post_eos_{median,mean,max}_ratio  sharpness / threshold from eos_step + probe.settle_steps
//   post_eos_avg_{median,max}_ratio   the same at the averaged iterate (probe.average_window)
//   post_eos_loss_increase_fraction   logged steps after eos_step whose loss rose
//   precond_*, effective_sharpness_median  the same for λ₁(P⁻¹H) of Adam/RMSProp/LAMB
#include <algorithm>
#include <cmath>

#include "experiments/training.h"
#include "gradlab/config_views.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

double median_of_sorted(const std::vector<double>& v) {
  const size_t m = v.size();
  return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

// Adaptive edge of stability (Cohen et al. 2022): the same figures for the preconditioned
// sharpness λ₁(P⁻¹H) against the optimizer's preconditioned threshold (Adam: 38/η at
// β1 = 0.9; RMSProp: 2/η), plus the effective sharpness η·λ₁(P⁻¹H) (2 at RMSProp's edge):
//   precond_{initial,final,max}, precond_threshold, precond_eos_step (first ≥ 0.95·threshold),
//   precond_post_eos_{median,max}_ratio and precond_post_eos_median from
//   precond_eos_step + probe.settle_steps, effective_sharpness_median = η·that median.
void add_precond_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  std::vector<const Json*> probed;
  for (const Json& r : rows)
    if (r.contains("precond_sharpness") && r.contains("precond_threshold")) probed.push_back(&r);
  if (probed.empty()) return;
  s["precond_initial"] = (*probed.front())["precond_sharpness"];
  s["precond_final"] = (*probed.back())["precond_sharpness"];
  double peak = -INFINITY;
  for (const Json* r : probed) peak = std::max(peak, (*r)["precond_sharpness"].get<double>());
  s["precond_max"] = peak;
  s["precond_threshold"] = (*probed.front())["precond_threshold"];
  Json eos = nullptr;
  for (const Json* r : probed)
    if ((*r)["precond_sharpness"].get<double>() >= 0.95 * (*r)["precond_threshold"].get<double>()) {
      eos = (*r)["step"];
      break;
    }
  s["precond_eos_step"] = eos;
  if (eos.is_null()) return;
  const int64_t from = eos.get<int64_t>() + probe_config(e.config()).settle_steps;
  std::vector<double> ratios, values, effective;
  for (const Json* r : probed) {
    if ((*r)["step"].get<int64_t>() < from) continue;
    const double v = (*r)["precond_sharpness"].get<double>();
    ratios.push_back(v / (*r)["precond_threshold"].get<double>());
    values.push_back(v);
    effective.push_back(v * (*r)["lr"].get<double>());
  }
  if (ratios.empty()) return;
  for (auto* v : {&ratios, &values, &effective}) std::sort(v->begin(), v->end());
  s["precond_post_eos_median_ratio"] = median_of_sorted(ratios);
  s["precond_post_eos_max_ratio"] = ratios.back();
  s["precond_post_eos_median"] = median_of_sorted(values);
  s["effective_sharpness_median"] = median_of_sorted(effective);
}

void add_eos_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  add_precond_summary(e, rows, s);
  // Sharpness over the run, for every optimizer (gradient flow has no threshold, and its
  // sharpness keeps rising where GD's stops at 2/η).
  std::vector<const Json*> measured;
  for (const Json& r : rows)
    if (r.contains("sharpness")) measured.push_back(&r);
  if (!measured.empty()) {
    s["initial_sharpness"] = (*measured.front())["sharpness"];
    s["final_sharpness"] = (*measured.back())["sharpness"];
    double peak = -INFINITY;
    for (const Json* r : measured) peak = std::max(peak, (*r)["sharpness"].get<double>());
    s["max_sharpness"] = peak;
  }
  // Edge-of-stability figures (Cohen et al. 2021), when sharpness was probed.
  std::vector<const Json*> probed;
  for (const Json& r : rows)
    if (r.contains("sharpness") && r.contains("threshold")) probed.push_back(&r);
  if (!probed.empty()) {
    double threshold = (*probed.front())["threshold"].get<double>();
    s["threshold"] = threshold;
    Json eos = nullptr;
    for (const Json* r : probed)
      if ((*r)["sharpness"].get<double>() >= 0.95 * (*r)["threshold"].get<double>()) {
        eos = (*r)["step"];
        break;
      }
    s["eos_step"] = eos;
    if (!eos.is_null()) {
      // The loss when the edge was reached: Cohen et al.'s point is that it keeps falling
      // (non-monotonically) afterwards, so final_loss < loss_at_eos.
      for (const Json& r : rows)
        if (r["step"] == eos && r.contains("loss")) s["loss_at_eos"] = r["loss"];
      const int64_t settle = probe_config(e.config()).settle_steps;
      int64_t from = eos.get<int64_t>() + settle;
      std::vector<double> ratios;
      for (const Json* r : probed)
        if ((*r)["step"].get<int64_t>() >= from)
          ratios.push_back((*r)["sharpness"].get<double>() / (*r)["threshold"].get<double>());
      if (!ratios.empty()) {
        std::vector<double> sorted = ratios;
        std::sort(sorted.begin(), sorted.end());
        size_t m = sorted.size();
        s["post_eos_median_ratio"] = median_of_sorted(sorted);
        double mean = 0;
        for (double v : ratios) mean += v;
        s["post_eos_mean_ratio"] = mean / static_cast<double>(m);
        s["post_eos_max_ratio"] = sorted.back();
      }
      // The same for the averaged iterate (probe.average_window).
      std::vector<double> averaged;
      for (const Json* r : probed)
        if ((*r)["step"].get<int64_t>() >= from && r->contains("sharpness_avg"))
          averaged.push_back((*r)["sharpness_avg"].get<double>() /
                             (*r)["threshold"].get<double>());
      if (!averaged.empty()) {
        std::sort(averaged.begin(), averaged.end());
        s["post_eos_avg_median_ratio"] = median_of_sorted(averaged);
        s["post_eos_avg_max_ratio"] = averaged.back();
      }
      // Fraction of logged post-EoS steps whose loss rose since the previous logged step.
      int64_t ups = 0, count = 0;
      double prev = NAN;
      for (const Json& r : rows) {
        if (!r.contains("loss")) continue;
        double l = r["loss"].get<double>();
        if (r["step"].get<int64_t>() > eos.get<int64_t>() && std::isfinite(prev)) {
          ++count;
          ups += l > prev;
        }
        prev = l;
      }
      if (count > 0) s["post_eos_loss_increase_fraction"] = static_cast<double>(ups) / count;
    }
  }
}

std::unique_ptr<Experiment> make(const Json& config) {
  return std::make_unique<TrainingExperiment>(config, edge_of_stability_hooks());
}

// The browser page (docs/adding.md: the page descriptor).
const char* const kPage = R"json({
  "file": "eos.html",
  "title": "Edge of stability",
  "blurb": "Full-batch GD: the sharpness rises to 2/η and hovers there while the loss keeps falling. With momentum the edge is the momentum threshold; with Adam, RMSProp or LAMB it is the preconditioned sharpness λ₁(P⁻¹H) that hovers at the optimiser's threshold (Cohen et al. 2022).",
  "card": {
    "id": "card-eos", "heading": "Edge of stability",
    "text": [
      "Train a network with full-batch gradient descent and track the sharpness, the",
      "largest eigenvalue of the Hessian of the training loss. It rises as training goes on",
      "(progressive sharpening) until it reaches 2/η, the quadratic's stability limit, and",
      "then stays there, hovering at the line while the loss keeps decreasing, though no",
      "longer monotonically (Cohen et al., 2021)."
    ],
    "claim": [
      "Claim: under GD, sharpness rises to 2/η and hovers there; the step size, not the",
      "landscape alone, decides how sharp the solution is."
    ],
    "link": "Open the edge-of-stability lab →"
  },
  "presets": "experiments/edge_of_stability",
  "preset_list": [
    {
      "file": "browser_fashion_mlp.json",
      "title": "MLP on Fashion-MNIST (4 classes, 500 images), η = 0.08",
      "about": "Sharpness climbs to 2/η = 25 in ~60 steps, then hovers there while the loss falls."
    },
    {
      "file": "browser_fashion_three_lr.json",
      "title": "Three learning rates on Fashion-MNIST (η = 0.05, 0.08, 0.12)",
      "about": "Each run's sharpness stops at its own 2/η: smaller steps, sharper valleys."
    },
    {
      "file": "browser_spiral_fast.json",
      "title": "MLP on a synthetic spiral, η = 0.2 (fast)",
      "about": "A small problem that reaches the edge of stability in a few seconds on any laptop."
    },
    {
      "file": "sorting-mamba.json",
      "title": "Mamba on the sorting task, η = 0.5 (GD)",
      "about": "A selective state-space model (Gu & Dao 2023) sorting 8 tokens: its sharpness rises to 2/η = 4 and oscillates around it."
    }
  ],
  "fields": [
    {
      "path": "data.source",
      "label": "Data",
      "choices": ["fashion_mnist", "synthetic", "sorting"],
      "choice_labels": {
        "fashion_mnist": "Fashion-MNIST subset",
        "synthetic": "Synthetic (generated in WASM)",
        "sorting": "Sorting task (tokens: LSTM, Mamba)"
      },
      "starts": {
        "fashion_mnist": {
          "source": "fashion_mnist",
          "n_train": 500,
          "n_test": 200,
          "classes": [0, 1, 2, 3],
          "preprocess": ["standardize"],
          "targets": "onehot"
        },
        "synthetic": {
          "source": "synthetic",
          "generator": "spiral",
          "n_train": 300,
          "n_test": 100,
          "targets": "onehot"
        },
        "sorting": {"source": "sorting", "length": 8, "vocab": 4, "n_train": 64, "n_test": 64}
      }
    },
    {"path": "data.classes", "label": "Classes (0–9)"},
    {"path": "data.generator", "label": "Generator"},
    {"path": "data.n_train", "label": "n (training examples)"},
    {
      "path": "model.type",
      "label": "Model",
      "choices": ["mlp", "cnn", "vit", "lstm", "mamba", "linear"],
      "choice_labels": {
        "mlp": "MLP",
        "cnn": "CNN",
        "vit": "ViT (transformer)",
        "lstm": "LSTM (image rows or tokens)",
        "mamba": "Mamba (tokens)",
        "linear": "Linear"
      },
      "starts": {
        "mlp": {"type": "mlp", "widths": [200, 200], "activation": "tanh"},
        "cnn": {"type": "cnn", "channels": [16, 16], "activation": "tanh", "pool": "avg"},
        "vit": {"type": "vit", "patch": 7, "dim": 32, "depth": 1, "heads": 2},
        "lstm": {"type": "lstm", "hidden": 32},
        "mamba": {"type": "mamba", "d_model": 8, "n_layers": 1, "d_state": 8, "expand": 2, "d_conv": 4},
        "linear": {"type": "linear"}
      }
    },
    {"path": "model.widths", "label": "Hidden widths"},
    {"path": "model.channels", "label": "Channels"},
    {"path": "model.hidden", "label": "Hidden size"},
    {"path": "model.dim", "label": "Width (dim)"},
    {"path": "model.depth", "label": "Blocks"},
    {"path": "model.d_model", "label": "Width (d_model)"},
    {"path": "model.n_layers", "label": "Layers"},
    {"path": "model.d_state", "label": "State size N"},
    {"path": "model.activation", "label": "Activation"},
    {"path": "loss", "label": "Loss"},
    {
      "path": "optim.type",
      "label": "Optimiser",
      "choices": ["gd", "momentum", "nesterov", "adam", "rmsprop", "lamb"],
      "choice_labels": {
        "gd": "GD: 2/η",
        "momentum": "Heavy-ball: (2+2β)/η",
        "nesterov": "Nesterov: (2+2β)/((1+2β)η)",
        "adam": "Adam: λ₁(P⁻¹H) at 38/η",
        "rmsprop": "RMSProp: λ₁(P⁻¹H) at 2/η",
        "lamb": "LAMB: λ₁(P⁻¹H) at 38/η"
      },
      "starts": {
        "gd": {"type": "gd", "lr": 0.08},
        "momentum": {"type": "momentum", "lr": 0.02, "momentum": 0.9},
        "nesterov": {"type": "nesterov", "lr": 0.02, "momentum": 0.9},
        "adam": {"type": "adam", "lr": 0.001, "betas": [0.9, 0.999], "bias_correction": false},
        "rmsprop": {"type": "rmsprop", "lr": 0.0005, "alpha": 0.99},
        "lamb": {"type": "lamb", "lr": 0.002, "betas": [0.9, 0.999], "bias_correction": false}
      }
    },
    {
      "path": "optim.lr",
      "label": "Learning rate η",
      "control": "log-slider",
      "min": 0.0001,
      "max": 1
    },
    {"path": "optim.momentum", "label": "Momentum β"},
    {"path": "optim.betas", "label": "Adam β₁, β₂"},
    {"path": "optim.bias_correction", "label": "Bias correction"},
    {"path": "optim.alpha", "label": "RMSProp α"},
    {"path": "probe.per_layer", "label": "Per-layer sharpness λmax(H_ℓℓ)"},
    {"path": "optim.lr", "label": "Overlay more η (comma-separated)", "control": "sweep-list"},
    {"path": "seed", "label": "Seed"},
    {"path": "train.steps", "label": "Steps"},
    {"path": "probe.sharpness_every", "label": "Sharpness every (steps)"},
    {"path": "probe.top_k", "label": "Top-k eigenvalues"},
    {"path": "dtype", "label": "Precision", "choices": ["float32", "float64"]}
  ],
  "run_label": "η = {optim.lr}",
  "point_labels": {"optim.lr": "η = {}"},
  "status": [
    {"text": "sharpness {last.sharpness} (threshold {last.threshold})"},
    {"text": "preconditioned sharpness λ₁(P⁻¹H) {last.precond_sharpness} (threshold {last.precond_threshold})"},
    {
      "text": "edge of stability reached at step {summary.eos_step}",
      "else": "edge of stability not reached yet"
    },
    {"text": "preconditioned edge (0.95 × threshold) reached at step {summary.precond_eos_step}"}
  ],
  "charts": [
    {
      "id": "loss",
      "title": "Training loss",
      "x": "step",
      "y": ["loss"],
      "y_label": "loss",
      "log_y": true,
      "marker": "eos_step",
      "marker_label": "EoS @ {}"
    },
    {
      "id": "sharpness",
      "title": "Sharpness λmax(∇²L) and the optimiser's threshold",
      "x": "step",
      "y": ["sharpness", "sharpness_avg"],
      "y_labels": [null, "at the averaged iterate"],
      "y_label": "sharpness",
      "threshold": "2/optim.lr",
      "threshold_key": "threshold",
      "threshold_from_rows": true,
      "threshold_by": "optim.type",
      "threshold_labels": {"momentum": "(2+2β)/η", "nesterov": "(2+2β)/((1+2β)η)"},
      "marker": "eos_step",
      "marker_label": "EoS @ {}"
    },
    {
      "id": "precond",
      "title": "Preconditioned sharpness λ₁(P⁻¹H) (Adam, RMSProp, LAMB)",
      "x": "step",
      "y": ["precond_sharpness"],
      "y_label": "λ₁(P⁻¹H)",
      "threshold_key": "precond_threshold",
      "threshold_by": "optim.type",
      "threshold_labels": {
        "adam": "(2+2β₁)/((1−β₁)η)", "adamw": "(2+2β₁)/((1−β₁)η)",
        "lamb": "(2+2β₁)/((1−β₁)η)", "rmsprop": "(2+2μ)/η"
      },
      "marker": "precond_eos_step",
      "marker_label": "EoS @ {}",
      "only_with_data": true
    },
    {
      "id": "layers",
      "title": "Per-layer sharpness λmax(H_ℓℓ) (probe.per_layer)",
      "x": "step",
      "y": ["layer_sharpness"],
      "y_label": "λmax(H_ℓℓ)",
      "log_y": true,
      "only_with_data": true
    },
    {
      "id": "eigs",
      "title": "Top Hessian eigenvalues",
      "x": "step",
      "y": ["eigs"],
      "y_labels": ["λ"],
      "y_label": "eigenvalue",
      "threshold": "2/optim.lr",
      "threshold_key": "threshold",
      "threshold_from_rows": true,
      "threshold_by": "optim.type",
      "threshold_labels": {"momentum": "(2+2β)/η", "nesterov": "(2+2β)/((1+2β)η)"}
    },
    {
      "id": "accuracy",
      "title": "Accuracy",
      "x": "step",
      "y": ["train_acc", "test_acc"],
      "y_labels": ["train", "test"],
      "y_label": "accuracy"
    }
  ]
})json";

}  // namespace

TrainingHooks edge_of_stability_hooks() {
  TrainingHooks hooks;
  hooks.add_summary = add_eos_summary;
  return hooks;
}

Kind edge_of_stability_kind() {
  Kind k;
  k.name = "edge_of_stability";
  k.description = "full-batch GD with periodic Hessian top-eigenvalue probes: the sharpness "
                  "rises to 2/η and hovers there (Cohen et al. 2021)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "probe", "dtype", "device"})
    k.blocks.push_back({block, "", {}});
  k.make = make;
  k.row_keys = {"sharpness",         "eigs",           "threshold",
                "sharpness_avg",     "loss_avg",       "precond_sharpness",
                "precond_threshold", "layer_sharpness"};
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
