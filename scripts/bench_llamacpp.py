#!/usr/bin/env python3
"""Prefill and decode speed of llama.cpp (PyPI `llama-cpp-python`) on a GGUF model, for
comparison with `glimpse-cli bench` on the same machine, model and thread count.

Prints one JSON object: {"prompt_tokens": {N: {"prefill_tok_s": [...], "decode_tok_s": [...]}}}.
usage: scripts/bench_llamacpp.py MODEL.gguf --prompt-tokens 512,2048 --gen-tokens 64 --threads 2 --runs 3
"""
import argparse
import json
import random
import time

import llama_cpp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt-tokens", default="512,2048")
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    lengths = [int(x) for x in args.prompt_tokens.split(",")]
    llm = llama_cpp.Llama(model_path=args.model, n_ctx=max(lengths) + args.gen_tokens + 8,
                          n_threads=args.threads, n_threads_batch=args.threads, n_batch=512,
                          logits_all=False, verbose=False)
    rng = random.Random(1234)
    vocab = llm.n_vocab()
    result = {"reference": f"llama-cpp-python {llama_cpp.__version__}", "threads": args.threads,
              "prompt_tokens": {}}
    for n in lengths:
        prefill, decode = [], []
        for _ in range(args.runs):
            tokens = [rng.randrange(256, vocab) for _ in range(n)]
            llm.reset()
            t0 = time.perf_counter()
            llm.eval(tokens)
            t1 = time.perf_counter()
            prefill.append(n / (t1 - t0))
            # Greedy decode of gen_tokens tokens, one at a time, as a chat would.
            t2 = time.perf_counter()
            for _ in range(args.gen_tokens):
                next_token = llm.sample(temp=0.0)
                llm.eval([next_token])
            t3 = time.perf_counter()
            decode.append(args.gen_tokens / (t3 - t2))
        result["prompt_tokens"][str(n)] = {"prefill_tok_s": prefill, "decode_tok_s": decode}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
