"""What the PyTorch oracle tests share (test_models_torch.py, test_eos_sharpness_torch.py):
reading gradlab's safetensors files, building the model from the PyTorch source gradlab writes
into them (Model::pytorch_definition, docs/models.md), and gradlab's loss conventions.
"""
import json
import math
import os
import struct

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

NUMPY_DTYPES = {"F64": "<f8", "F32": "<f4", "I64": "<i8"}

# What Model::pytorch_definition() may assume is imported.
DEFINITION_GLOBALS = {"math": math, "torch": torch, "nn": nn, "F": F}


def read_safetensors(path):
    """The safetensors format by hand: u64 little-endian header length, JSON header, raw
    little-endian data. Returns ({name: torch tensor}, metadata dict)."""
    if not os.path.isfile(path):
        raise AssertionError(f"{path} was not written")
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=NUMPY_DTYPES[entry["dtype"]])
        tensors[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return tensors, metadata


def net_from_definition(source):
    """A float64 instance of the `class Net` that `source` (pytorch_definition) defines."""
    namespace = dict(DEFINITION_GLOBALS)
    exec(source, namespace)  # the source gradlab documents
    return namespace["Net"]().double()


def torch_loss(kind, output, target):
    """src/nn/loss.cpp's conventions: mse = ½‖f − y‖² summed over outputs, mean over examples
    (target dense); cross_entropy = F.cross_entropy over every position (target class ids)."""
    if kind == "mse":
        return 0.5 * ((output - target) ** 2).sum() / output.shape[0]
    return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1))
