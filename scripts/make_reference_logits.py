#!/usr/bin/env python3
"""Reference logits of the default model from an independent implementation.

Runs llama.cpp (PyPI `llama-cpp-python`) on a few fixed prompts and writes, for every
position, the token ids and the ten largest logits with their ids. The engine's test
compares its own logits with these (top-1 agreement and the largest difference).

usage: scripts/make_reference_logits.py MODEL.gguf OUT.json
"""
import json
import sys

import llama_cpp
import numpy as np

PROMPTS = [
    "The capital of France is",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "Lighthouses use Fresnel lenses because they focus the light of a small lamp into a beam "
    "that can be seen from far away. The first lighthouse to use one was",
    "1, 2, 3, 5, 8, 13, 21, 34,",
    "Die Hauptstadt von Deutschland ist Berlin. La capitale de l'Italie est",
]
TOP = 10


def main() -> None:
    model_path, out_path = sys.argv[1], sys.argv[2]
    llm = llama_cpp.Llama(model_path=model_path, n_ctx=1024, logits_all=True, verbose=False,
                          n_threads=2, n_batch=512)
    cases = []
    for text in PROMPTS:
        tokens = llm.tokenize(text.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(tokens)
        scores = np.array(llm.scores[: len(tokens)], dtype=np.float32)
        positions = []
        for row in scores:
            top = np.argsort(-row, kind="stable")[:TOP]
            positions.append({"ids": [int(i) for i in top],
                              "logits": [round(float(row[i]), 5) for i in top]})
        cases.append({"text": text, "tokens": [int(t) for t in tokens], "positions": positions})
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"model": "SmolLM2-135M-Instruct.Q4_1.gguf",
                   "reference": f"llama-cpp-python {llama_cpp.__version__}",
                   "cases": cases}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
