#!/usr/bin/env python3
"""Writes tests/engine/data/quant_vectors.json: reference vectors for engine/quant.

An independent decoder and encoder, gguf-py (the `gguf` package on PyPI, maintained with
llama.cpp), provides the expected values:
  * dequantize: random blocks of every format the engine decodes (random bytes with the fp16
    scale fields forced to finite values of sane size), plus a few blocks of the default
    model when it is in the cache, decoded by gguf.quants.dequantize;
  * quantize: random floats encoded by gguf.quants.quantize for the formats gguf-py can
    encode (its legacy encoders follow ggml's reference rounding), and by numpy for F16.

Floats are stored as the hex of their little-endian binary32 bytes so every bit, NaN
included, survives the trip. Run from anywhere: python3 scripts/make_quant_vectors.py
"""

import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

SEED = 20261124
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "engine" / "data" / "quant_vectors.json"
MODEL = Path.home() / ".cache" / "glimpse" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"

# Byte offsets of the fp16 fields (d, m, dmin) inside one block of each format.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
BLOCKS_PER_TYPE = {T.Q4_0: 8, T.Q4_1: 8, T.Q5_0: 8, T.Q5_1: 8, T.Q8_0: 8,
                   T.Q2_K: 3, T.Q3_K: 3, T.Q4_K: 3, T.Q5_K: 3, T.Q6_K: 3}

rng = np.random.default_rng(SEED)


def f32_hex(values: np.ndarray) -> str:
    return np.ascontiguousarray(values, dtype="<f4").tobytes().hex()


def random_blocks(qtype: T, n_blocks: int) -> np.ndarray:
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for b in range(n_blocks):
        for offset in HALF_FIELDS[qtype]:
            if b == n_blocks - 1 and offset == HALF_FIELDS[qtype][0]:
                # One block per format with a subnormal fp16 scale.
                value = np.uint16(rng.integers(1, 0x400)) | np.uint16(0x8000 * rng.integers(0, 2))
                half = np.array([value], dtype="<u2")
            else:
                magnitude = 10.0 ** rng.uniform(-4.0, 0.0)
                sign = -1.0 if rng.random() < 0.3 else 1.0
                half = np.array([sign * magnitude], dtype="<f2")
            blocks[b, offset:offset + 2] = half.view(np.uint8)
    return blocks


def dequantize_case(qtype: T, blocks: np.ndarray, source: str) -> dict:
    values = dequantize(blocks.reshape(-1), qtype)
    return {"type": qtype.name, "source": source, "blocks": blocks.tobytes().hex(), "values": f32_hex(values)}


def dequantize_cases() -> list:
    cases = [dequantize_case(qtype, random_blocks(qtype, n), "random") for qtype, n in BLOCKS_PER_TYPE.items()]

    f32 = rng.integers(0, 256, size=256 * 4, dtype=np.uint8)
    cases.append({"type": "F32", "source": "random", "blocks": f32.tobytes().hex(), "values": f32_hex(f32.view("<f4"))})

    # F16 without NaN bit patterns: how a NaN payload is widened differs between
    # converters, so NaN is checked by the C++ test on its own.
    edges = np.array([0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x3C00, 0x3555],
                     dtype="<u2")
    f16 = rng.integers(0, 0x10000, size=244, dtype=np.uint32).astype("<u2")
    f16 = f16[(f16 & 0x7C00) != 0x7C00]
    f16 = np.concatenate([edges, f16])
    cases.append(dequantize_case(T.F16, f16.view(np.uint8), "random"))

    bf16 = rng.integers(0, 0x10000, size=256, dtype=np.uint32).astype("<u2")
    cases.append(dequantize_case(T.BF16, bf16.view(np.uint8), "random"))

    if MODEL.exists():
        reader = gguf.GGUFReader(str(MODEL))
        wanted = {"token_embd.weight": (1000, 4), "blk.0.ffn_down.weight": (0, 8), "blk.7.attn_q.weight": (100, 4),
                  "blk.29.ffn_gate.weight": (1535, 4)}
        for tensor in reader.tensors:
            if tensor.name in wanted:
                row, n_blocks = wanted[tensor.name]
                _, type_size = gguf.GGML_QUANT_SIZES[tensor.tensor_type]
                blocks = np.array(tensor.data[row][: n_blocks * type_size]).reshape(n_blocks, type_size)
                cases.append(dequantize_case(tensor.tensor_type, blocks, f"{MODEL.name}:{tensor.name}:row {row}"))
    else:
        print(f"note: {MODEL} not found, no blocks of a published file included", file=sys.stderr)
    return cases


def quantize_inputs(n_blocks: int, block_size: int) -> np.ndarray:
    blocks = []
    for b in range(n_blocks):
        scale = 10.0 ** rng.uniform(-3.0, 1.0)
        kind = b % 4
        if kind == 0:
            x = rng.normal(0.0, scale, block_size)
        elif kind == 1:
            x = rng.uniform(-scale, scale, block_size) + rng.uniform(-scale, scale)
        elif kind == 2:
            x = rng.laplace(0.0, scale, block_size)
        else:
            x = rng.uniform(0.0, scale, block_size)
        blocks.append(x)
    blocks[1][:] = 0.0                       # all zero: scale 0
    blocks[2][:] = blocks[2][0]              # constant block
    blocks[3][5], blocks[3][9] = -2.0, 2.0   # equal magnitudes of both signs
    # Exact halves between levels, so the rounding rule of each encoder shows: Q8_0 gets
    # d = 1 (x = k + 0.5), Q4_0 gets d = 1 from its -8, Q4_1 a unit step from 0 .. 15.
    halves = np.arange(block_size, dtype=np.float64) % 16 - 7.5
    blocks[4][:] = halves * (127.0 / 8.0) // 1 + 0.5
    blocks[4][0] = 127.0
    blocks[5][:] = halves
    blocks[5][0] = -8.0
    blocks[6][:] = np.abs(halves)
    blocks[6][0], blocks[6][1] = 0.0, 15.0
    return np.concatenate(blocks).astype(np.float32)


def quantize_cases() -> list:
    cases = []
    for qtype in (T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
        x = quantize_inputs(16, 32)
        cases.append({"type": qtype.name, "input": f32_hex(x), "blocks": quantize(x, qtype).tobytes().hex()})

    # F16 / BF16: ordinary values, values at and around rounding ties, subnormals, overflow.
    special = np.array([0.0, -0.0, 65504.0, 65519.996, 65520.0, -65520.0, 1e6, np.inf, -np.inf,
                        2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 3 * 2.0 ** -26, 2.0 ** -14,
                        2.0 ** -14 - 2.0 ** -25, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1e-40, -1e-45,
                        3.4028235e38, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8],
                       dtype=np.float32)
    x = np.concatenate([special,
                        rng.normal(0.0, 1.0, 100).astype(np.float32),
                        (rng.normal(0.0, 1.0, 60) * 10.0 ** rng.uniform(-9, 5, 60)).astype(np.float32)])
    cases.append({"type": "F16", "input": f32_hex(x), "blocks": x.astype("<f2").tobytes().hex()})
    bf = np.concatenate([x, np.array([np.nan], dtype=np.float32),
                         np.frombuffer(np.array([0x7F800001, 0xFFC12345], dtype="<u4").tobytes(), dtype="<f4")])
    cases.append({"type": "BF16", "input": f32_hex(bf), "blocks": quantize(bf, T.BF16).tobytes().hex()})
    return cases


def main() -> None:
    with np.errstate(over="ignore"):
        data = {
            "generator": "scripts/make_quant_vectors.py",
            "gguf_py_version": importlib.metadata.version("gguf"),
            "numpy_version": np.__version__,
            "seed": SEED,
            "dequantize": dequantize_cases(),
            "quantize": quantize_cases(),
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
