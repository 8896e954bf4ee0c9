#!/usr/bin/python3
"""Writes the seed corpus of each fuzz target: tests/fuzz/corpus/<target>/ (docs/fuzzing.md).

A few small valid files per reader, so libFuzzer starts from inputs that reach past the
magic numbers and headers. Deterministic: run it again and `git status` shows no change.
Usage: /usr/bin/python3 tests/fuzz/make_corpus.py   (from the repository root)
"""
import gzip
import json
import os
import shutil
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(magic, dims, values):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)


def gzip_bytes(data):
    # mtime=0: the same bytes on every run.
    return gzip.compress(data, compresslevel=9, mtime=0)


def npy(array):
    import io
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def safetensors(tensors, metadata=None):
    header, body = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(raw)]}
        body += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + body


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    # IDX: the first byte picks images (odd) or labels (even), as fuzz_idx.cpp reads it.
    images = idx(0x803, [2, 3, 3], range(18))
    labels = idx(0x801, [4], [0, 9, 3, 1])
    write("idx", "images", b"\x01" + images)
    write("idx", "labels", b"\x00" + labels)
    write("idx", "images_28x28", b"\x01" + idx(0x803, [1, 28, 28], [i % 256 for i in range(784)]))
    write("idx_gzip", "images.gz", b"\x01" + gzip_bytes(images))
    write("idx_gzip", "labels.gz", b"\x00" + gzip_bytes(labels))
    write("idx_gzip", "two_members.gz", b"\x00" + gzip_bytes(labels[:6]) + gzip_bytes(labels[6:]))
    # CIFAR-10: records of 1 label byte + 3072 pixel bytes.
    write("cifar10", "one_record", bytes([3]) + bytes(i % 256 for i in range(3072)))
    write("cifar10", "two_records", (bytes([9]) + bytes(3072)) + (bytes([0]) + bytes([255]) * 3072))
    # .npy: each supported dtype, format 1.0 and 2.0.
    write("npy", "f4_2x3", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
    write("npy", "f8_4", npy(np.linspace(0, 1, 4)))
    write("npy", "u1_scalar", npy(np.array(7, dtype="|u1")))
    write("npy", "i4_3x1", npy(np.array([[0], [1], [2]], dtype="<i4")))
    write("npy", "i8_2", npy(np.array([-1, 1], dtype="<i8")))
    v2 = npy(np.arange(3, dtype="<f8"))
    header_len = struct.unpack("<H", v2[8:10])[0]
    write("npy", "f8_v2", b"\x93NUMPY\x02\x00" + struct.pack("<I", header_len) + v2[10:])
    # safetensors: F32, F64, I64, metadata, an empty tensor.
    write("safetensors", "three", safetensors({
        "w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
        "b": ("F64", [2], struct.pack("<2d", 0.5, -0.5)),
        "step": ("I64", [], struct.pack("<q", 10)),
    }, {"format": "gradlab"}))
    write("safetensors", "empty", safetensors({"e": ("F32", [0, 3], b"")}))
    # Text: the first two bytes pick seq_len and stride (fuzz_text.cpp), then UTF-8.
    write("text", "ascii", b"\x07\x02" + b"the quick brown fox jumps over the lazy dog\n" * 2)
    write("text", "utf8", b"\x03\x01" + "h\u00e9llo w\u00f6rld \u2014 \u65e5\u672c \U0001f600!".encode())
    with open(os.path.join(ROOT, "experiments", "data", "lighthouse.txt"), "rb") as f:
        write("text", "lighthouse", b"\x10\x04" + f.read()[:1500])
    # Config: small example configs as they are, and a points config with a sweep.
    for name in ["default.json", "quadratic_gd/quadratic_2d.json",
                 "edge_of_stability/browser_spiral_fast.json", "svm/points.json",
                 "double_descent/random_features.json"]:
        with open(os.path.join(ROOT, "experiments", name), "rb") as f:
            write("config", name.replace("/", "_"), f.read())
    # Report: metrics.jsonl 0x1e summary.json 0x1e config.json (fuzz_report.cpp).
    rows = [{"step": s, "loss": 1.0 / (s + 1), "sharpness": 2.0 + s, "threshold": 40.0,
             "eigs": [2.0 + s, 1.0], "train_acc": 0.5 + s / 10, "lr": 0.05, "time_s": s * 0.1}
            for s in range(4)]
    metrics = "".join(json.dumps(r) + "\n" for r in rows).encode()
    summary = json.dumps({"status": "finished", "eos_step": 2, "final_loss": 0.25,
                          "threshold": 40.0, "nested": {"a": [1, 2]}}).encode()
    config = json.dumps({"kind": "edge_of_stability", "seed": 0,
                         "optim": {"type": "gd", "lr": 0.05}}).encode()
    write("report", "run", metrics + b"\x1e" + summary + b"\x1e" + config)
    write("report", "rows_only", metrics)
    write("report", "quadratic", b'{"step": 0, "loss": 1, "coords": [1, 0.5]}\n'
          b'{"step": 1, "loss": 0.5, "coords": [0.8, -0.4], "norm": 3}\n\x1e{"status": "diverged",'
          b' "divergence_reason": "loss is inf"}')


if __name__ == "__main__":
    main()
