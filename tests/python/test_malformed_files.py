"""Every malformed file a reader can be handed: exit 2 and one line naming the file (issue 15).

Each case writes one bad file — truncated, wrong magic, a shape whose size overflows, header
offsets past the end, an absurd size (the reader must refuse before allocating it), JSON nested
100,000 deep — hands it to the native CLI the way a user would (`gradlab data` for the data
sources, `gradlab run` for model.init_from, `gradlab validate` for a config, `gradlab report`
for a run folder) and checks: exit status 2, stderr exactly one line, the file's path in it,
and what was wrong in it. The fuzz targets (tests/fuzz/, ./lab fuzz) search the same readers
for inputs that break this; docs/fuzzing.md.
"""
import gzip
import json
import os
import struct
import unittest

from support import run_cli, scratch_dir

BASE = {
    "kind": "edge_of_stability",
    "seed": 0,
    "dtype": "float64",
    "model": {"type": "mlp", "widths": [4], "activation": "tanh"},
    "loss": "mse",
    "optim": {"type": "gd", "lr": 0.1},
    "train": {"steps": 1},
    "probe": {"sharpness_every": 0},
}


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def idx(magic, dims, payload=b""):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def npy(header, payload=b"", major=1):
    text = header.encode()
    prefix = 10 if major == 1 else 12
    text += b" " * ((64 - (prefix + len(text) + 1) % 64) % 64) + b"\n"
    length = struct.pack("<H" if major == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + length + text + payload


def safetensors(header, payload=b""):
    text = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(text)) + text + payload


class MalformedFilesTest(unittest.TestCase):
    def expect_one_line(self, proc, path, *reasons):
        """Exit 2, one line on stderr naming `path` and each of `reasons`."""
        err = proc.stderr.strip()
        self.assertEqual(proc.returncode, 2, f"stderr: {proc.stderr}")
        self.assertEqual(len(err.splitlines()), 1, f"not one line: {proc.stderr!r}")
        self.assertIn(path, err)
        for reason in reasons:
            self.assertIn(reason, err)
        self.assertNotIn("internal error", err)

    def run_data(self, d, data_block):
        config = dict(BASE, data=data_block)
        path = write(os.path.join(d, "config.json"), json.dumps(config))
        return run_cli("data", path, "--out", os.path.join(d, "out.safetensors"), check=False,
                       timeout=60)

    def test_idx_files(self):
        good_images = idx(0x803, [2, 2, 2], bytes(8))
        good_labels = idx(0x801, [2], bytes([0, 1]))
        cases = [
            ("wrong magic", idx(0x802, [2, 2, 2], bytes(8)), False, "wrong IDX magic number"),
            ("truncated header", b"\x00\x00\x08\x03\x00", False, "truncated IDX file"),
            ("truncated data", good_images[:-3], False, "truncated IDX file"),
            ("overflowing shape", idx(0x803, [0xFFFFFFFF] * 3), False, "truncated IDX file"),
            ("no images", idx(0x803, [0, 28, 28]), False, "holds no images"),
            ("gzip cut short", gzip.compress(good_images, mtime=0)[:-6], True, "gzip file"),
            ("gzip header promising 4 GB", gzip.compress(idx(0x803, [0xFFFF] * 3, bytes(64)), mtime=0),
             True, "gzip bytes can hold"),
            ("gzip bomb past its header", gzip.compress(idx(0x803, [1, 2, 2], bytes(8 << 20)), mtime=0),
             True, "oversized IDX file"),
            ("not gzip", b"PK\x03\x04 a zip file", True, "gzip file"),
        ]
        for name, images, gz, reason in cases:
            with self.subTest(name), scratch_dir() as d:
                for prefix in ("train", "t10k"):
                    labels = idx(0x801, [0]) if name == "no images" and prefix == "train" else good_labels
                    write(os.path.join(d, f"{prefix}-labels-idx1-ubyte"), labels)
                    if prefix == "t10k":
                        write(os.path.join(d, "t10k-images-idx3-ubyte"), good_images)
                bad = os.path.join(d, "train-images-idx3-ubyte" + (".gz" if gz else ""))
                write(bad, images)
                proc = self.run_data(d, {"source": "fashion_mnist", "path": d})
                self.expect_one_line(proc, bad, reason)

    def test_cifar10_batches(self):
        record = bytes([1]) + bytes(3072)
        cases = [("truncated record", record * 2 + record[:100], "bytes left over"),
                 ("empty file", b"", "whole number of 3073-byte records"),
                 ("label out of range", bytes([200]) + bytes(3072), "has label byte 200")]
        for name, batch, reason in cases:
            with self.subTest(name), scratch_dir() as d:
                for b in range(1, 6):
                    write(os.path.join(d, f"data_batch_{b}.bin"), record)
                write(os.path.join(d, "test_batch.bin"), record)
                bad = write(os.path.join(d, "data_batch_3.bin"), batch)
                proc = self.run_data(d, {"source": "cifar10", "path": d})
                self.expect_one_line(proc, bad, reason)

    def test_npy_files(self):
        y_ok = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                   struct.pack("<2q", 0, 1))
        cases = [
            ("wrong magic", b"\x93NUMPX\x01\x00\x10\x00" + b" " * 16, "not a NumPy .npy file"),
            ("header length past the end", b"\x93NUMPY\x01\x00\xff\xff{'descr'", "truncated .npy file"),
            ("version 2 header length past the end", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{",
             "truncated .npy file"),
            ("shape that overflows", npy("{'descr': '<f8', 'fortran_order': False, "
                                         "'shape': (1099511627776, 1099511627776, 1099511627776), }"),
             "truncated .npy file"),
            ("data cut short", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                                   bytes(20)), "truncated .npy file"),
            ("malformed header", npy("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }",
                                     bytes(16)), "malformed .npy header"),
            ("unterminated header", b"\x93NUMPY\x01\x00\x07\x00{'descr", "malformed .npy header"),
        ]
        for name, x, reason in cases:
            with self.subTest(name), scratch_dir() as d:
                bad = write(os.path.join(d, "x.npy"), x)
                y = write(os.path.join(d, "y.npy"), y_ok)
                proc = self.run_data(d, {"source": "npy", "x": bad, "y": y})
                self.expect_one_line(proc, bad, reason)
        with scratch_dir() as d:  # a class label of 2^40 once asked for 2^40 class ids
            x = write(os.path.join(d, "x.npy"), npy(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", bytes(16)))
            bad = write(os.path.join(d, "y.npy"), npy(
                "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", struct.pack("<2q", 0, 1 << 40)))
            self.expect_one_line(self.run_data(d, {"source": "npy", "x": x, "y": bad}), bad,
                                 "class labels must lie in 0..")

    def test_text_corpus(self):
        with scratch_dir() as d:
            bad = write(os.path.join(d, "corpus.txt"), b"hello \xc3\x28 world" * 10)
            proc = self.run_data(d, {"source": "text", "path": bad, "seq_len": 4})
            self.expect_one_line(proc, bad, "invalid UTF-8 at byte 7")

    def test_safetensors_init_from(self):
        entry = '{"w": {"dtype": "F32", "shape": [2], "data_offsets": [%s, %s]}}'
        cases = [
            ("truncated", b"\x10\x00", "truncated safetensors file"),
            ("header length past the end", struct.pack("<Q", 1 << 40) + b"{}", "header length"),
            ("offsets past the end", safetensors(entry % (0, 8), bytes(4)), "truncated: entry 'w'"),
            ("offsets that wrap around", safetensors(entry % (2**64 - 8, 2**64), bytes(8)),
             "invalid data_offsets"),
            ("absurd shape", safetensors('{"w": {"dtype": "F64", "shape": [4294967296, 4294967296], '
                                         '"data_offsets": [0, 8]}}', bytes(8)), "more values than"),
            ("not JSON", safetensors("{\"w\": ]"), "not valid JSON"),
            ("nested 100000 deep", safetensors("[" * 100000 + "]" * 100000), "nested deeper than 64"),
        ]
        for name, data, reason in cases:
            with self.subTest(name), scratch_dir() as d:
                bad = write(os.path.join(d, "init.safetensors"), data)
                config = dict(BASE, data={"source": "synthetic", "generator": "gaussian_mixture",
                                          "n_train": 8, "n_test": 0, "num_classes": 2, "dim": 2},
                              model=dict(BASE["model"], init_from=bad))
                path = write(os.path.join(d, "config.json"), json.dumps(config))
                proc = run_cli("run", path, "--out", os.path.join(d, "run"), "--quiet",
                               check=False, timeout=60)
                self.expect_one_line(proc, bad, reason)

    def test_config_files(self):
        cases = [
            ("truncated", '{"kind": "edge_of_stability", "seed": ', "invalid JSON"),
            ("binary garbage", b"\x00\xff\xfe{\x01", "invalid JSON"),
            ("invalid UTF-8 in a string", b'{"kind": "\xff"}', "invalid JSON"),
            ("nested 100000 deep", '{"a": ' + "[" * 100000 + "]" * 100000 + "}",
             "nested deeper than 64 levels"),
            ("top level not an object", "[1, 2]", "expected a JSON object"),
            ("a number past double's range", '{"seed": 1e999}', "number overflow"),
        ]
        for name, text, reason in cases:
            with self.subTest(name), scratch_dir() as d:
                bad = write(os.path.join(d, "config.json"), text)
                self.expect_one_line(run_cli("validate", bad, check=False, timeout=60), bad, reason)
        with scratch_dir() as d:  # 10^6 sweep points: refused at once, not validated one by one
            sweep = {k: list(range(1, 11)) for k in
                     ["seed", "train.steps", "optim.lr", "data.n_train", "train.log_every", "data.seed"]}
            data = {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 8, "n_test": 0,
                    "num_classes": 2, "dim": 2}
            bad = write(os.path.join(d, "sweep.json"), json.dumps(dict(BASE, data=data, sweep=sweep)))
            proc = run_cli("validate", bad, check=False, timeout=60)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            self.assertIn("sweep: more than 10000 points", proc.stderr)

    def test_report_files(self):
        cases = [
            ("metrics.jsonl", '{"step": 0, "loss": 1}\n{"step": 1, "lo', "metrics.jsonl:2"),
            ("metrics.jsonl", "[" * 100000 + "\n", "metrics.jsonl:1"),
            ("summary.json", '{"status": ', "summary.json"),
            ("config.json", '{"a": ' + "{" * 100000, "config.json"),
        ]
        for name, text, where in cases:
            with self.subTest(name + " " + where), scratch_dir() as d:
                write(os.path.join(d, "metrics.jsonl"), '{"step": 0, "loss": 1}\n')
                write(os.path.join(d, name), text)
                proc = run_cli("report", d, check=False, timeout=60)
                self.expect_one_line(proc, os.path.join(d, where))
        with scratch_dir() as d:  # odd types in rows and summary: a page, not an internal error
            write(os.path.join(d, "metrics.jsonl"),
                  '{"step": "zero", "loss": 1}\n{"step": 1, "loss": 0.5}\n{"step": null}\n')
            write(os.path.join(d, "summary.json"), '{"status": 3, "divergence_reason": [1]}')
            proc = run_cli("report", d, check=False, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(d, "report.html"), encoding="utf-8") as f:
                self.assertIn('status <span class="status">?</span>', f.read())


if __name__ == "__main__":
    unittest.main()
