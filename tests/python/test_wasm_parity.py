"""The WASM build gives bit-identical data and initial parameters to native (docs/design.md §6).

Same config, same seed, two builds: the native CLI (build/native/gradlab) and the WASM CLI under
node (build/wasm/gradlab.js, linked with NODERAWFS so it reads and writes the host's files). Both
write

  gradlab data CONFIG --out FILE.safetensors           x_train, y_train, x_test, y_test
  gradlab run CONFIG --save-params 0 --out DIR          DIR/params-step0.safetensors (the initial
                                                        parameters, before step 0's update)

and the files must be equal byte for byte: the header (names, dtypes, shapes) and every bit of
every value. gradlab draws everything random from its own PCG32 + Box-Muller (src/util/rng.cpp)
and the data generators' trigonometry from src/data/portable_math.h, never from the platform's
libm, and compiles without FMA contraction, exactly so that this holds.

Data: every synthetic generator, Fashion-MNIST (first and random subsets, label noise, each
randomisation of Zhang et al. 2017, standardize / center / downsample2 / unit_norm), NumPy .npy
files, a character-level text file. The Debian package ships Fashion-MNIST gzipped and the WASM
build reads only uncompressed IDX files (zlib is native-only, src/data/file_io.cpp), so the test
gunzips the four files into a scratch folder that both builds read; the native build also reads
the .gz originals, and those data must equal the uncompressed ones.

Data also: the algorithmic sets `modular` and `sparse_parity`. Rows: a short grokking and a
short (online) sparse_parity run give the same metrics rows in both builds (check_rows).

Parameters: mlp (float32 and float64, PyTorch and normal init, init_scale), linear, cnn, vit,
transformer_lm and lstm (token and image inputs).

Rows: whole runs of the catapult kind (uv and ReLU; plain double loops: equal to 1e-12 relative,
the sharpness from the Lanczos eigensolver may differ in its last bit) and of mode_connectivity
(float64, equal to 1e-9 relative: the GEMMs sum in other orders) give the same metrics.jsonl rows
natively and in WASM.
A whole run: the central_flow kind's rows on its toy (equal to 1e-10 relative, see the test).

The WASM CLI must be built: a missing one is a failure, not a skip (./lab test builds it first).
It is $GRADLAB_WASM_CLI, default build/wasm/gradlab.js. Run alone:
  /usr/bin/python3 tests/python/run_all.py test_wasm_parity
"""
import gzip
import json
import math
import os
import shlex
import shutil
import struct
import subprocess
import unittest

import numpy as np

import support

WASM_CLI = os.environ.get("GRADLAB_WASM_CLI", os.path.join(support.ROOT, "build", "wasm",
                                                           "gradlab.js"))
FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
ELEMENT_BYTES = {"F64": 8, "F32": 4, "I64": 8}

TEXT = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was "
        "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.\n")


def node_executable():
    for name in ("node", "nodejs"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("node is not installed (apt-get install nodejs, or ./lab setup)")


def run_wasm(*args):
    if not os.path.isfile(WASM_CLI):
        raise AssertionError(f"the WASM CLI {WASM_CLI} is not built: run ./lab build (or set "
                             "GRADLAB_WASM_CLI)")
    # Emscripten 3.1.6's loader tries fetch() on the .wasm path under Node 18+; without fetch it
    # reads the file (docs/design.md §7).
    cmd = [node_executable(), "--no-experimental-fetch", WASM_CLI, *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\nstderr:\n{proc.stderr}")
    return proc


def parse_safetensors(blob):
    """(header dict without __metadata__, data bytes) of a safetensors file."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    return header, blob[8 + n:]


def describe_difference(native, wasm):
    """Where two safetensors files differ: the first tensor and element, for the failure text."""
    h1, d1 = parse_safetensors(native)
    h2, d2 = parse_safetensors(wasm)
    if h1 != h2:
        return f"headers differ:\n  native {h1}\n  wasm   {h2}"
    lines = []
    for name, entry in sorted(h1.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        a, b = d1[begin:end], d2[begin:end]
        if a == b:
            continue
        size = ELEMENT_BYTES[entry["dtype"]]
        fmt = {"F64": "<d", "F32": "<f", "I64": "<q"}[entry["dtype"]]
        diffs = [i for i in range(0, len(a), size) if a[i:i + size] != b[i:i + size]]
        first = diffs[0]
        lines.append(f"{name} {entry['dtype']}{entry['shape']}: {len(diffs)} of {len(a) // size} "
                     f"elements differ, first at flat index {first // size}: native "
                     f"{struct.unpack(fmt, a[first:first + size])[0]!r}, wasm "
                     f"{struct.unpack(fmt, b[first:first + size])[0]!r}")
    return "\n".join(lines) or "metadata differs"


def training_config(seed, data, model, loss="cross_entropy", dtype="float32"):
    """The smallest experiment that builds a model: one GD step, one metrics row."""
    return {"kind": "edge_of_stability", "seed": seed, "dtype": dtype, "data": data,
            "model": model, "loss": loss, "optim": {"type": "gd", "lr": 0.01},
            "train": {"steps": 1, "log_every": 1}}


class WasmParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = support.scratch_dir("gradlab-wasm-parity-")
        cls.tmp = cls.scratch.name
        # Uncompressed Fashion-MNIST, readable by both builds.
        cls.fashion = os.path.join(cls.tmp, "fashion-mnist")
        os.makedirs(cls.fashion)
        for name in FASHION_FILES:
            with gzip.open(os.path.join(FASHION, name + ".gz"), "rb") as src, \
                    open(os.path.join(cls.fashion, name), "wb") as dst:
                shutil.copyfileobj(src, dst)
        cls.text = os.path.join(cls.tmp, "text.txt")
        with open(cls.text, "w", encoding="utf-8") as f:
            f.write(TEXT * 3)
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def write_config(self, config):
        type(self).count += 1
        path = os.path.join(self.tmp, f"config-{self.count}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        return path

    def assert_same_file(self, native_path, wasm_path, what):
        with open(native_path, "rb") as f:
            native = f.read()
        with open(wasm_path, "rb") as f:
            wasm = f.read()
        header, data = parse_safetensors(native)
        # Not vacuous: there are tensors and they hold values.
        self.assertTrue(header, f"{what}: no tensors in {native_path}")
        self.assertTrue(any(data), f"{what}: every byte is zero")
        if native != wasm:
            self.fail(f"{what}: native and WASM files differ\n" + describe_difference(native, wasm))
        return header

    def check_data(self, name, data, seed=3):
        config = self.write_config(training_config(seed, data, {"type": "linear"}))
        native = os.path.join(self.tmp, f"data-{name}-native.safetensors")
        wasm = os.path.join(self.tmp, f"data-{name}-wasm.safetensors")
        support.run_cli("data", config, "--out", native)
        run_wasm("data", config, "--out", wasm)
        header = self.assert_same_file(native, wasm, f"data {name}")
        self.assertEqual(header["x_train"]["shape"][0], data["n_train"], name)
        print(f"  data {name}: " + ", ".join(f"{k} {v['dtype']}{v['shape']}"
                                             for k, v in sorted(header.items())))
        return native

    def check_params(self, name, config):
        path = self.write_config(config)
        dirs = {side: os.path.join(self.tmp, f"run-{name}-{side}") for side in ("native", "wasm")}
        support.run_cli("run", path, "--save-params", "0", "--out", dirs["native"], "--quiet")
        run_wasm("run", path, "--save-params", "0", "--out", dirs["wasm"], "--quiet")
        files = {side: os.path.join(d, "params-step0.safetensors") for side, d in dirs.items()}
        header = self.assert_same_file(files["native"], files["wasm"], f"params {name}")
        n = sum(math.prod(v["shape"]) for v in header.values())
        print(f"  params {name}: {len(header)} tensors, {n} values, identical")

    def check_training_rows(self, name, config, rel=1e-3):
        """The same config trained by both builds gives the same metrics rows: the same keys in
        every row and the same values (rel: float32 sums in another order, OpenBLAS against the
        WASM GEMM; accuracies to two examples in 100), arrays compared entry by entry."""
        config = dict(config, train=dict(config["train"], log_time=False))
        path = self.write_config(config)
        dirs = {side: os.path.join(self.tmp, f"rows-{name}-{side}") for side in ("native", "wasm")}
        support.run_cli("run", path, "--out", dirs["native"], "--quiet")
        run_wasm("run", path, "--out", dirs["wasm"], "--quiet")
        rows = {}
        for side, d in dirs.items():
            with open(os.path.join(d, "metrics.jsonl"), encoding="utf-8") as f:
                rows[side] = [json.loads(line) for line in f if line.strip()]
        self.assertTrue(rows["native"], f"{name}: no rows")
        self.assertEqual(len(rows["native"]), len(rows["wasm"]), name)
        for a, b in zip(rows["native"], rows["wasm"]):
            self.assertEqual(sorted(a), sorted(b), f"{name}: row keys at step {a.get('step')}")
            for key, va in a.items():
                vb = b[key]
                pairs = zip(va, vb) if isinstance(va, list) else [(va, vb)]
                for x, y in pairs:
                    if isinstance(x, (int, float)) and not isinstance(x, bool):
                        # An accuracy may differ by an example whose margin is within rounding.
                        tol = 0.021 if key.endswith("_acc") else rel * max(1.0, abs(x))
                        self.assertLessEqual(abs(x - y), tol,
                                             f"{name}: {key} at step {a['step']}: {x} vs {y}")
                    else:
                        self.assertEqual(x, y, f"{name}: {key} at step {a['step']}")
        print(f"  rows {name}: {len(rows['native'])} rows, same keys and values")

    # ---- data -----------------------------------------------------------------------------------

    def test_data_gaussian_mixture(self):
        self.check_data("gaussian_mixture", {"source": "synthetic", "generator": "gaussian_mixture",
                                             "n_train": 50, "n_test": 20, "num_classes": 3,
                                             "dim": 5, "label_noise": 0.2})

    def test_data_linearly_separable(self):
        self.check_data("linearly_separable", {"source": "synthetic",
                                               "generator": "linearly_separable", "n_train": 40,
                                               "n_test": 10, "dim": 4,
                                               "preprocess": ["standardize"]})

    def test_data_two_moons(self):
        self.check_data("two_moons", {"source": "synthetic", "generator": "two_moons",
                                      "n_train": 60, "n_test": 20})

    def test_data_circles(self):
        self.check_data("circles", {"source": "synthetic", "generator": "circles", "n_train": 40,
                                    "n_test": 10, "preprocess": ["unit_norm"]})

    def test_data_xor(self):
        self.check_data("xor", {"source": "synthetic", "generator": "xor", "n_train": 40,
                                "n_test": 10, "preprocess": ["center"]})

    def test_data_spiral(self):
        self.check_data("spiral", {"source": "synthetic", "generator": "spiral", "n_train": 90,
                                   "n_test": 30, "num_classes": 3, "turns": 1.5})

    def test_data_teacher_mlp(self):
        self.check_data("teacher_mlp", {"source": "synthetic", "generator": "teacher_mlp",
                                        "n_train": 40, "n_test": 10, "dim": 6, "widths": [8, 5],
                                        "output_dim": 2, "noise": 0.1})

    def test_data_gaussian_regression(self):
        self.check_data("gaussian_regression", {"source": "synthetic",
                                                "generator": "gaussian_regression",
                                                "n_train": 40, "n_test": 10, "dim": 8,
                                                "output_dim": 2})

    def test_data_modular(self):
        self.check_data("modular", {"source": "modular", "p": 13, "op": "div",
                                    "train_fraction": 0.4, "n_train": 62})

    def test_data_sparse_parity(self):
        self.check_data("sparse_parity", {"source": "sparse_parity", "n_bits": 12, "k": 3,
                                          "n_train": 64, "n_test": 32})

    def test_rows_grokking(self):
        self.check_training_rows("grokking", {
            "kind": "grokking", "seed": 2, "dtype": "float32",
            "data": {"source": "modular", "p": 13, "train_fraction": 0.5},
            "model": {"type": "mlp", "widths": [24], "activation": "quadratic", "bias": False},
            "loss": "mse", "optim": {"type": "adamw", "lr": 0.01, "weight_decay": 1.0},
            "train": {"steps": 30, "log_every": 5}})

    def test_rows_sparse_parity(self):
        self.check_training_rows("sparse_parity", {
            "kind": "sparse_parity", "seed": 2, "dtype": "float32",
            "data": {"source": "sparse_parity", "n_bits": 10, "k": 3, "n_train": 50,
                     "n_test": 100},
            "model": {"type": "mlp", "widths": [32]}, "loss": "hinge",
            "optim": {"type": "sgd", "lr": 0.1},
            "train": {"steps": 30, "batch_size": 16, "log_every": 5}})

    def test_data_fashion_mnist_first(self):
        data = {"source": "fashion_mnist", "path": self.fashion, "n_train": 30, "n_test": 10,
                "classes": [0, 3, 7], "preprocess": ["standardize"]}
        plain = self.check_data("fashion_first", data)
        # The gzipped originals (native only) hold the same images.
        from_gz = os.path.join(self.tmp, "data-fashion-gz.safetensors")
        support.run_cli("data", self.write_config(training_config(
            3, {**data, "path": FASHION}, {"type": "linear"})), "--out", from_gz)
        with open(plain, "rb") as a, open(from_gz, "rb") as b:
            self.assertEqual(a.read(), b.read(), "fashion_mnist: .gz and uncompressed data differ")

    def test_data_fashion_mnist_random_subset_label_noise(self):
        self.check_data("fashion_random_noise", {
            "source": "fashion_mnist", "path": self.fashion, "n_train": 40, "n_test": 10,
            "subset": "random", "label_noise": 0.3, "preprocess": ["downsample2", "center"]})

    def test_data_fashion_mnist_randomizations(self):
        for randomize in ("labels", "shuffled_pixels", "random_pixels", "gaussian"):
            with self.subTest(randomize=randomize):
                self.check_data(f"fashion_{randomize}", {
                    "source": "fashion_mnist", "path": self.fashion, "n_train": 20, "n_test": 5,
                    "classes": [1, 2], "randomize": randomize, "preprocess": ["downsample2"]})

    def test_data_npy(self):
        rng = np.random.default_rng(5)
        paths = {}
        for key, array in (("x", rng.normal(size=(24, 2, 4, 4)).astype("<f4")),
                           ("y", rng.integers(0, 3, size=24).astype("<i8")),
                           ("x_test", rng.normal(size=(6, 2, 4, 4)).astype("<f8")),
                           ("y_test", rng.integers(0, 3, size=6).astype("<i8"))):
            paths[key] = os.path.join(self.tmp, f"npy-{key}.npy")
            np.save(paths[key], array)
        self.check_data("npy", {"source": "npy", **paths, "n_train": 20, "subset": "random",
                                "label_noise": 0.25, "preprocess": ["standardize"]})

    def test_data_text(self):
        self.check_data("text", {"source": "text", "path": self.text, "n_train": 12, "n_test": 3,
                                 "seq_len": 8, "subset": "random"})

    # ---- initial parameters ---------------------------------------------------------------------

    def blobs(self, n=24, dim=6, classes=3):
        return {"source": "synthetic", "generator": "gaussian_mixture", "n_train": n,
                "num_classes": classes, "dim": dim}

    def small_fashion(self):
        return {"source": "fashion_mnist", "path": self.fashion, "n_train": 8, "n_test": 4,
                "classes": [0, 1, 2], "preprocess": ["downsample2"]}  # [1, 14, 14]

    def test_params_mlp_float32(self):
        self.check_params("mlp_f32", training_config(
            7, self.blobs(), {"type": "mlp", "widths": [33, 17], "activation": "tanh"}))

    def test_params_mlp_float64_normal_init_scaled(self):
        self.check_params("mlp_f64_normal", training_config(
            8, {"source": "synthetic", "generator": "two_moons", "n_train": 20},
            {"type": "mlp", "widths": [16], "init": "normal", "init_scale": 0.5},
            dtype="float64"))

    def test_params_mlp_float32_normal_init_scaled(self):
        self.check_params("mlp_f32_normal", training_config(
            9, self.blobs(), {"type": "mlp", "widths": [40], "init": "normal",
                              "init_scale": 0.3}))

    def test_params_mlp_teacher_regression(self):
        self.check_params("mlp_teacher", training_config(
            10, {"source": "synthetic", "generator": "teacher_mlp", "n_train": 16,
                 "output_dim": 2}, {"type": "mlp", "widths": [12, 12]}, loss="mse"))

    def test_params_linear_spiral(self):
        self.check_params("linear_spiral", training_config(
            11, {"source": "synthetic", "generator": "spiral", "n_train": 30},
            {"type": "linear"}))

    def test_params_cnn(self):
        self.check_params("cnn", training_config(
            12, self.small_fashion(), {"type": "cnn", "channels": [4, 6],
                                       "activation": "elu"}))

    def test_params_vit(self):
        self.check_params("vit", training_config(
            13, self.small_fashion(), {"type": "vit", "patch": 7, "dim": 8, "depth": 2,
                                       "heads": 2, "mlp_ratio": 2}))

    def test_params_vit_float64(self):
        self.check_params("vit_f64", training_config(
            14, self.small_fashion(), {"type": "vit", "patch": 7, "dim": 6, "depth": 1,
                                       "heads": 3, "pool": "mean"}, dtype="float64"))

    def test_params_transformer_lm(self):
        self.check_params("transformer_lm", training_config(
            15, {"source": "text", "path": self.text, "n_train": 6, "n_test": 2, "seq_len": 8},
            {"type": "transformer_lm", "dim": 8, "depth": 1, "heads": 2}))

    def test_params_lstm_tokens(self):
        self.check_params("lstm_tokens", training_config(
            16, {"source": "text", "path": self.text, "n_train": 6, "n_test": 2, "seq_len": 8},
            {"type": "lstm", "hidden": 7, "layers": 2}))

    def test_params_lstm_image_rows(self):
        self.check_params("lstm_image", training_config(
            17, self.small_fashion(), {"type": "lstm", "hidden": 5}))

    # ---- metrics rows of whole runs (the kinds written in plain double loops or float64) -------
    def check_rows(self, name, config, rel):
        """Both builds run the config; every metrics row must match key for key, numbers to `rel`
        relative (0: bit for bit), strings exactly. time_s (wall clock) is left out."""
        path = self.write_config(config)
        rows = {}
        for side, runner in (("native", support.run_cli), ("wasm", run_wasm)):
            out = os.path.join(self.tmp, f"rows-{name}-{side}")
            runner("run", path, "--out", out, "--quiet")
            with open(os.path.join(out, "metrics.jsonl"), encoding="utf-8") as f:
                rows[side] = [json.loads(line) for line in f if line.strip()]
            for r in rows[side]:
                r.pop("time_s", None)
        native, wasm = rows["native"], rows["wasm"]
        self.assertTrue(native, f"{name}: no rows")
        self.assertEqual(len(native), len(wasm), f"{name}: row counts differ")

        def same(a, b, where):
            if isinstance(a, list):
                self.assertIsInstance(b, list, where)
                self.assertEqual(len(a), len(b), where)
                for i, (x, y) in enumerate(zip(a, b)):
                    same(x, y, f"{where}[{i}]")
            elif isinstance(a, dict):
                self.assertEqual(sorted(a), sorted(b), where)
                for k in a:
                    same(a[k], b[k], f"{where}.{k}")
            elif isinstance(a, float) or isinstance(b, float):
                scale = max(abs(a), abs(b), 1e-300)
                self.assertLessEqual(abs(a - b) / scale, rel, f"{where}: native {a!r}, wasm {b!r}")
            else:
                self.assertEqual(a, b, where)

        for i, (a, b) in enumerate(zip(native, wasm)):
            same(a, b, f"{name} row {i}")
        print(f"  rows {name}: {len(native)} rows, equal to {rel} relative")

    def test_reproduce_command_of_the_wasm_cli_repeats_the_run(self):
        # Under node /proc/self/exe is node: the printed command must name the script and the
        # node flag README.md gives, and running it as printed must repeat the rows.
        cfg = training_config(2, {"source": "synthetic", "generator": "gaussian_mixture",
                                  "n_train": 32, "n_test": 8, "num_classes": 2, "dim": 3},
                              {"type": "mlp", "widths": [4]})
        cfg["train"]["log_time"] = False
        config = self.write_config(cfg)
        first = os.path.join(self.tmp, "reproduce-first")
        proc = run_wasm("run", config, "--out", first, "--threads", "1")
        line = [l for l in proc.stdout.splitlines() if l.startswith("Reproduce: ")][0]
        argv = shlex.split(line[len("Reproduce: "):])
        self.assertEqual(argv[:2], ["node", "--no-experimental-fetch"], line)
        self.assertEqual(os.path.realpath(argv[2]), os.path.realpath(WASM_CLI), line)
        self.assertEqual(argv[3:], ["run", config, "--threads", "1"], line)
        again = os.path.join(self.tmp, "reproduce-again")
        subprocess.run([node_executable(), *argv[1:], "--out", again, "--quiet"], check=True,
                       capture_output=True, timeout=300)
        self.assertEqual(support.read_jsonl(os.path.join(again, "metrics.jsonl")),
                         support.read_jsonl(os.path.join(first, "metrics.jsonl")))

    def test_rows_catapult_uv(self):
        self.check_rows("catapult_uv", {
            "kind": "catapult", "seed": 4,
            "catapult": {"model": "uv", "width": 300, "lr_times_sharpness": 3.0,
                         "sharpness_every": 5},
            "train": {"steps": 60, "log_every": 1}}, rel=1e-12)

    def test_rows_catapult_relu(self):
        self.check_rows("catapult_relu", {
            "kind": "catapult", "seed": 5,
            "catapult": {"model": "relu", "width": 64, "lr_times_sharpness": 3.0,
                         "sharpness_every": 10},
            "data": {"source": "synthetic", "generator": "gaussian_mixture", "num_classes": 2,
                     "dim": 5, "n_train": 16},
            "train": {"steps": 30, "log_every": 1}}, rel=1e-12)

    def test_rows_mode_connectivity(self):
        # float64: the BLAS GEMM natively and gradlab's kernels in WASM sum in other orders.
        data = dict(self.small_fashion(), n_train=60, n_test=20)
        self.check_rows("mode_connectivity", {
            "kind": "mode_connectivity", "seed": 6, "dtype": "float64", "data": data,
            "model": {"type": "mlp", "widths": [12], "activation": "relu"},
            "loss": "cross_entropy", "optim": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
            "train": {"steps": 20, "batch_size": 20, "log_every": 5},
            "mode_connectivity": {"bend_steps": 10, "points": 5, "slice_points": 3}}, rel=1e-9)
    # ---- a whole run ----------------------------------------------------------------------------

    def test_central_flow_rows(self):
        """experiments/central_flow/toy_mlp.json's test profile, 8 steps at η = 0.65 (2/η = 3.08
        is below the initial sharpness 3.17, so the SDCP and the third derivatives run from step
        0), through both CLIs: the same initial weights bit for bit (the kind's --save-params are
        GD's), and the same rows. float64 rows agree to 1e-10 relative (5.5e-14 measured), not bit
        for bit: the third derivatives, HVPs and Lanczos go through GEMMs (OpenBLAS natively, the
        wasm_simd128 kernels in WASM) that sum in different orders."""
        config = os.path.join(support.ROOT, "experiments", "central_flow", "toy_mlp.json")
        dirs = {side: os.path.join(self.tmp, f"run-central-flow-{side}") for side in ("native", "wasm")}
        args = ["--profile", "test", "--set", "train.steps=8", "--set",
                "central_flow.refresh_every=3", "--set", "optim.lr=0.65", "--save-params", "0",
                "--quiet"]
        support.run_cli("run", config, "--out", dirs["native"], *args)
        run_wasm("run", config, "--out", dirs["wasm"], *args)
        self.assert_same_file(os.path.join(dirs["native"], "params-step0.safetensors"),
                              os.path.join(dirs["wasm"], "params-step0.safetensors"),
                              "central_flow initial parameters")
        rows = {}
        for side, d in dirs.items():
            with open(os.path.join(d, "metrics.jsonl"), encoding="utf-8") as f:
                rows[side] = [json.loads(line) for line in f]
        self.assertEqual(len(rows["native"]), 8)
        self.assertEqual(len(rows["wasm"]), 8)
        self.assertTrue(all(r["cf_n_edge"] == 1 for r in rows["native"]), rows["native"])
        worst = 0.0
        for a, b in zip(rows["native"], rows["wasm"]):
            a.pop("time_s", None)
            b.pop("time_s", None)
            self.assertEqual(sorted(a), sorted(b))
            for key, x in a.items():
                y = b[key]
                xs, ys = (x, y) if isinstance(x, list) else ([x], [y])
                self.assertEqual(len(xs), len(ys), key)
                for u, v in zip(xs, ys):
                    worst = max(worst, abs(u - v) / max(abs(u), abs(v), 1e-300))
        print(f"  central_flow rows: worst relative difference {worst:.3g}")
        self.assertLessEqual(worst, 1e-10)


if __name__ == "__main__":
    unittest.main()
