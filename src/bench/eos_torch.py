#!/usr/bin/python3
"""eos_torch.py — PyTorch peer of the `eos_fc_tanh` benchmark (src/bench/bench_eos.cpp).

The edge-of-stability native profile (issue 4): an MLP 784-200-200-10 with tanh (float32,
PyTorch default init) trained by full-batch gradient descent (lr 0.02) on 5,000 random-normal
inputs with one-hot targets, loss ½ Σ (f(x) − y)² / N (Cohen et al. 2021's mse), and every 20
steps the sharpness λ₁(∇²L) from 20 Lanczos iterations with full re-orthogonalisation, each
iteration one Hessian-vector product by double backward on the full training loss.

One timed call = 100 GD steps including 5 probes (before steps 0, 20, 40, 60, 80), from the same
initial parameters each time. Timing rule as `gradlab bench`: one warm-up call, repetitions per
sample calibrated to >= 0.2 s, 5 samples (3 when a call takes > 1 s), median per call.
Prints one JSON line shaped like our bench lines. Run with /usr/bin/python3 (Debian's torch);
`--quick` uses 1,000 examples.
"""
import json
import math
import os
import re
import statistics
import sys
import time

# Debian's torch calls whatever libblas.so.3 is (OpenBLAS, pthread build): torch.set_num_threads
# does not reach its thread pool, so pin it before the library loads (one thread, like ours).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402  (after the environment above)

STEPS, PROBE_EVERY, LANCZOS_ITERS, LR, CLASSES, IN = 100, 20, 20, 0.02, 10, 784


def measure(call):
    """Median/min/max wall ms per call and CPU-time/wall ratio (gradlab bench's rule)."""
    t0 = time.perf_counter()
    call()  # warm-up, also sizes the call
    first = time.perf_counter() - t0
    reps = max(1, math.ceil(0.2 / max(first, 1e-9)))
    samples_n = 3 if first > 1.0 else 5
    samples = []
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(samples_n):
        t = time.perf_counter()
        for _ in range(reps):
            call()
        samples.append((time.perf_counter() - t) * 1000.0 / reps)
    util = (time.process_time() - c0) / (time.perf_counter() - w0)
    return {"samples": samples_n, "reps": reps, "median_ms": statistics.median(samples),
            "min_ms": min(samples), "max_ms": max(samples), "cpu_util": round(util, 2)}


def lanczos_top1(hvp, n, iters, gen):
    """Largest eigenvalue of a symmetric operator: Lanczos with full re-orthogonalisation
    (float64 basis; the Ritz values are the eigenvalues of the tridiagonal T_k)."""
    q = torch.randn(n, dtype=torch.float64, generator=gen)
    q /= q.norm()
    basis, alpha, beta = [q], [], []
    for k in range(min(iters, n)):
        w = hvp(basis[-1])
        a = torch.dot(w, basis[-1]).item()
        alpha.append(a)
        for v in basis:  # full re-orthogonalisation (Gram–Schmidt against every Lanczos vector)
            w -= torch.dot(w, v) * v
        b = w.norm().item()
        if k + 1 == iters or b < 1e-12:
            break
        beta.append(b)
        basis.append(w / b)
    m = len(alpha)
    t = torch.zeros(m, m, dtype=torch.float64)
    for i in range(m):
        t[i, i] = alpha[i]
        if i + 1 < m:
            t[i, i + 1] = t[i + 1, i] = beta[i]
    return torch.linalg.eigvalsh(t)[-1].item()


def blas_info():
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    path = ""
    try:  # which libblas.so.3 the alternatives system points at (Debian's torch links it)
        path = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        pass
    return (m.group(1) if m else "unknown"), path


def main():
    quick = "--quick" in sys.argv[1:]
    n = 1000 if quick else 5000
    torch.set_num_threads(1)
    torch.manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(IN, 200), torch.nn.Tanh(),
                                torch.nn.Linear(200, 200), torch.nn.Tanh(),
                                torch.nn.Linear(200, CLASSES))
    params = list(model.parameters())
    initial = [p.detach().clone() for p in params]
    x = torch.randn(n, IN)                                   # [N, 784]
    y = torch.nn.functional.one_hot(torch.randint(0, CLASSES, (n,)), CLASSES).float()  # [N, 10]
    n_params = sum(p.numel() for p in params)

    def loss_fn():
        return 0.5 * ((model(x) - y) ** 2).sum() / n

    def gd_step():
        g = torch.autograd.grad(loss_fn(), params)
        with torch.no_grad():
            for p, gi in zip(params, g):
                p.copy_(p - LR * gi)

    def hvp(v):  # v: flat float64 [n_params] -> H v (float64), double backward
        g = torch.autograd.grad(loss_fn(), params, create_graph=True)
        vs, off = [], 0
        for p in params:
            vs.append(v[off:off + p.numel()].view_as(p).to(p.dtype))
            off += p.numel()
        dot = sum((gi * vi).sum() for gi, vi in zip(g, vs))
        hv = torch.autograd.grad(dot, params)
        return torch.cat([h.reshape(-1) for h in hv]).double()

    state = {"sharpness": 0.0}

    def probe():
        gen = torch.Generator().manual_seed(0)
        state["sharpness"] = lanczos_top1(hvp, n_params, LANCZOS_ITERS, gen)

    def reset():
        with torch.no_grad():
            for p, p0 in zip(params, initial):
                p.copy_(p0)

    def full():
        reset()
        for s in range(STEPS):
            if s % PROBE_EVERY == 0:
                probe()
            gd_step()

    def plain():
        reset()
        for _ in range(STEPS):
            gd_step()

    t_full = measure(full)
    t_plain = measure(plain)
    reset()
    t_probe = measure(probe)
    blas, blas_path = blas_info()
    line = {"peer": "pytorch-1.13-cpu", "bench": "eos_fc_tanh", "torch": torch.__version__,
            "blas": blas, "libblas_so_3": blas_path, "threads": torch.get_num_threads(),
            "model": "784-200-200-10 tanh", "loss": "mse", "n": n, "steps": STEPS,
            "probe_every": PROBE_EVERY, "lanczos_iterations": LANCZOS_ITERS, "n_params": n_params}
    line.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in t_full.items()})
    line["ms_per_step_without_probes"] = round(t_plain["median_ms"] / STEPS, 3)
    line["probe_ms"] = round(t_probe["median_ms"], 2)
    line["sharpness_initial"] = round(state["sharpness"], 5)
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
