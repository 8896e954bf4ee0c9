#!/usr/bin/env bash
# .ci/gpu_check.sh — everything issue 8 needs checked on a machine with an NVIDIA GPU, in one go
# (docs/cuda.md). Run from the repository root:
#
#   bash .ci/gpu_check.sh [OUT_DIR]        # default OUT_DIR: build/gpu-check
#
# 1. builds the native CLI and the CUDA parity test with -DGRADLAB_CUDA=ON into build/cuda
#    (CUDA_ARCH, default 90 = H100/H200; JOBS, default all cores);
# 2. runs the parity test (every op-table row on the GPU vs the CPU: forward, gradient, HVP);
# 3. runs an edge-of-stability run (full-batch GD + Lanczos sharpness) and a random-labels run
#    (minibatch SGD with momentum, cross-entropy) for 200 steps on cpu and on cuda, in float64
#    and float32, and compares their metrics row by row;
# 4. times one full-batch GD step on each device (bench lines).
# Everything it prints is also under OUT_DIR (parity.txt, runs/, compare.txt); the last line is
# "GPU CHECK: PASSED" or "GPU CHECK: FAILED (<what>)". Needs the same Debian packages as the
# native build (Eigen, nlohmann-json, Catch2, OpenBLAS, zlib) plus nvcc/cuBLAS and a driver.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/gpu-check}
BUILD=${BUILD_DIR:-$ROOT/build/cuda}
ARCH=${CUDA_ARCH:-90}
JOBS=${JOBS:-$(nproc)}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
PY=${PYTHON:-python3}
mkdir -p "$OUT/runs"
failures=()
say() { printf '%s\n' "$*" | tee -a "$OUT/summary.txt"; }
: >"$OUT/summary.txt"

say "== gpu_check: $(date -u +%FT%TZ), arch sm_$ARCH, $JOBS jobs"
nvidia-smi -L 2>&1 | tee -a "$OUT/summary.txt" || say "nvidia-smi: not available"
for header in /usr/include/eigen3/Eigen/Core /usr/include/nlohmann/json.hpp /usr/include/catch2/catch.hpp; do
  [ -e "$header" ] || say "missing build dependency: $header (Debian packages: see README.md)"
done

# ---- 1. build ------------------------------------------------------------------------------
if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGRADLAB_CUDA=ON \
      -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$ARCH" >"$OUT/cmake.txt" 2>&1 ||
   ! cmake --build "$BUILD" -j "$JOBS" --target gradlab gradlab_cuda_parity >"$OUT/build.txt" 2>&1; then
  tail -n 30 "$OUT/cmake.txt" "$OUT/build.txt" 2>/dev/null
  say "GPU CHECK: FAILED (build: see $OUT/cmake.txt, $OUT/build.txt)"
  exit 1
fi
CLI=$BUILD/gradlab
say "built $CLI and $BUILD/gradlab_cuda_parity"

# ---- 2. parity test --------------------------------------------------------------------------
"$BUILD/gradlab_cuda_parity" --use-colour no >"$OUT/parity.txt" 2>&1
rc=$?
tail -n 5 "$OUT/parity.txt" | tee -a "$OUT/summary.txt"
if [ $rc -eq 77 ]; then failures+=("parity skipped: no GPU"); elif [ $rc -ne 0 ]; then failures+=("parity"); fi

# ---- 3. cpu vs cuda runs ---------------------------------------------------------------------
cat >"$OUT/eos.json" <<'JSON'
{ "kind": "edge_of_stability", "seed": 0,
  "data": { "source": "synthetic", "generator": "gaussian_mixture", "n_train": 2000, "n_test": 500,
            "num_classes": 4, "dim": 100 },
  "model": { "type": "mlp", "widths": [200, 200], "activation": "tanh" },
  "loss": "mse", "optim": { "type": "gd", "lr": 0.05 },
  "train": { "steps": 200, "batch_size": "full", "log_every": 10, "log_time": false },
  "probe": { "sharpness_every": 20, "top_k": 1, "lanczos_iters": 20 } }
JSON
cat >"$OUT/random_labels.json" <<'JSON'
{ "kind": "random_labels", "seed": 0,
  "data": { "source": "synthetic", "generator": "gaussian_mixture", "n_train": 2048, "n_test": 512,
            "num_classes": 10, "dim": 64, "randomize": "labels" },
  "model": { "type": "mlp", "widths": [256, 256], "activation": "relu" },
  "loss": "cross_entropy", "optim": { "type": "momentum", "lr": 0.01, "momentum": 0.9 },
  "train": { "steps": 200, "batch_size": 128, "log_every": 10, "log_time": false } }
JSON
for config in eos random_labels; do
  for dtype in float64 float32; do
    for device in cpu cuda; do
      dir=$OUT/runs/$config-$dtype-$device
      rm -rf "$dir"
      if ! "$CLI" run "$OUT/$config.json" --set dtype=$dtype --set device=$device --out "$dir" \
           --quiet >"$dir.log" 2>&1; then
        failures+=("run $config $dtype $device")
        tail -n 3 "$dir.log" | tee -a "$OUT/summary.txt"
      fi
    done
  done
done
# Row-by-row: float64 must agree to 1e-6 relative in every metric over the 200 steps (the GPU
# sums in another order, so bits differ, and GD amplifies differences only slowly this early);
# float32 differences are reported, with a loose 1e-2 bound.
"$PY" - "$OUT" >"$OUT/compare.txt" 2>&1 <<'PYEOF'
import json, math, os, sys
out = sys.argv[1]
bad = 0
for config in ("eos", "random_labels"):
    for dtype, tol in (("float64", 1e-6), ("float32", 1e-2)):
        runs = {}
        for device in ("cpu", "cuda"):
            path = os.path.join(out, "runs", f"{config}-{dtype}-{device}", "metrics.jsonl")
            if not os.path.exists(path):
                print(f"{config} {dtype}: missing {path}"); bad += 1; break
            runs[device] = [json.loads(l) for l in open(path) if l.strip()]
        if len(runs) < 2:
            continue
        worst, where = 0.0, ""
        for a, b in zip(runs["cpu"], runs["cuda"]):
            for key, va in a.items():
                vb = b.get(key)
                if key == "time_s" or not isinstance(va, (int, float)) or not isinstance(vb, (int, float)):
                    continue
                err = abs(va - vb) / max(abs(va), 1e-12)
                if err > worst:
                    worst, where = err, f"step {a.get('step')} {key}: cpu {va} cuda {vb}"
        same_len = len(runs["cpu"]) == len(runs["cuda"])
        verdict = "ok" if worst <= tol and same_len else "MISMATCH"
        bad += verdict != "ok"
        print(f"{config} {dtype}: {len(runs['cpu'])} rows, worst relative difference {worst:.3g} "
              f"(tolerance {tol:g}) {where} -> {verdict}")
        s = json.load(open(os.path.join(out, "runs", f"{config}-{dtype}-cuda", "summary.json")))
        print(f"  cuda summary: peak_device_memory_bytes={s.get('peak_device_memory_bytes')} "
              f"wall_time_s={s.get('wall_time_s')}")
sys.exit(1 if bad else 0)
PYEOF
rc=$?
tee -a "$OUT/summary.txt" <"$OUT/compare.txt"
[ $rc -eq 0 ] || failures+=("cpu vs cuda metrics")

# ---- 4. step time per device (informative) ------------------------------------------------
for device in cpu cuda; do
  start=$(date +%s.%N)
  "$CLI" run "$OUT/eos.json" --set device=$device --set train.steps=50 --set probe.sharpness_every=0 \
    --out "$OUT/runs/time-$device" --quiet >/dev/null 2>&1
  end=$(date +%s.%N)
  say "{\"bench\":\"eos_mlp_step_wall\",\"target\":\"$device\",\"steps\":50,\"wall_s\":$("$PY" -c "print(round($end - $start, 3))")}"
done

if [ ${#failures[@]} -eq 0 ]; then
  say "GPU CHECK: PASSED"
else
  say "GPU CHECK: FAILED (${failures[*]})"
  exit 1
fi
