#!/usr/bin/env python3
"""Speed and memory of llama.cpp (PyPI `llama-cpp-python`) on a GGUF model, for comparison
with `glimpse-cli bench` on the same machine, model and thread count.

Random prompts (glimpse-cli bench --compare-llamacpp) print one JSON object:
  {"prompt_tokens": {N: {"prefill_tok_s": [...], "decode_tok_s": [...]}}}
  usage: scripts/bench_llamacpp.py MODEL.gguf --prompt-tokens 512,2048 --gen-tokens 64 --threads 2 --runs 3

A document prompt (glimpse-cli bench --document --compare-llamacpp) is read from a JSON file
{"text": rendered prompt, "tokens": [its token ids]}; the ids are what is evaluated, so both
engines read the same tokens, and the text is tokenized by llama.cpp as part of the time to
the first token (and compared with the ids). Prints {"document": {...}} with, per run, the
time to the first token (tokenize + prefill + first greedy token sampled and evaluated, as
glimpse streams it), prefill and decode tok/s, and this process's peak RSS.
  usage: scripts/bench_llamacpp.py MODEL.gguf --document PROMPT.json --gen-tokens 64 --threads 2 --runs 3

The KV cache is llama.cpp's default (f16, full).
"""
import argparse
import json
import random
import resource
import time

import llama_cpp


def peak_rss_bytes() -> int:
    """VmHWM of this process (the interpreter, the model and llama.cpp's buffers)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def kv_bytes_per_token(llm: "llama_cpp.Llama") -> int:
    """K and V of one token over all layers, f16 (llama.cpp's default cache type)."""
    meta = llm.metadata
    arch = meta["general.architecture"]
    layers = int(meta[f"{arch}.block_count"])
    heads = int(meta[f"{arch}.attention.head_count"])
    kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
    key_length = int(meta.get(f"{arch}.attention.key_length", int(meta[f"{arch}.embedding_length"]) // heads))
    value_length = int(meta.get(f"{arch}.attention.value_length", key_length))
    return layers * kv_heads * (key_length + value_length) * 2


def open_model(path: str, n_ctx: int, threads: int) -> "llama_cpp.Llama":
    return llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, n_batch=512,
                           logits_all=False, verbose=False)


def bench_random(args) -> dict:
    lengths = [int(x) for x in args.prompt_tokens.split(",")]
    llm = open_model(args.model, max(lengths) + args.gen_tokens + 8, args.threads)
    rng = random.Random(1234)
    vocab = llm.n_vocab()
    result = {"prompt_tokens": {}}
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
    return result


def bench_document(args) -> dict:
    with open(args.document, encoding="utf-8") as f:
        prompt = json.load(f)
    text, tokens = prompt["text"], [int(t) for t in prompt["tokens"]]
    n = len(tokens)
    llm = open_model(args.model, n + args.gen_tokens, args.threads)
    first_token, prefill, decode = [], [], []
    same_tokens = None
    for _ in range(args.runs):
        llm.reset()
        t0 = time.perf_counter()
        own = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        t1 = time.perf_counter()
        llm.eval(tokens)
        t2 = time.perf_counter()
        prefill.append(n / (t2 - t1))
        # Greedy, past any end of turn, so every run decodes gen_tokens tokens.
        for i in range(args.gen_tokens):
            llm.eval([llm.sample(temp=0.0)])
            if i == 0:
                first_token.append(time.perf_counter() - t0)
        decode.append(args.gen_tokens / (time.perf_counter() - t2))
        bos = llm.token_bos()
        same_tokens = own == (tokens[1:] if tokens and tokens[0] == bos and own[:1] != [bos] else tokens)
    return {"document": {"prompt_tokens": n, "same_tokens": same_tokens, "first_token_s": first_token,
                         "prefill_tok_s": prefill, "decode_tok_s": decode,
                         "kv_bytes": n * kv_bytes_per_token(llm), "kv_type": "f16",
                         "peak_rss_bytes": peak_rss_bytes()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt-tokens", default="512,2048")
    ap.add_argument("--document", help="JSON file {\"text\": ..., \"tokens\": [...]} of a document prompt")
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    result = {"reference": f"llama-cpp-python {llama_cpp.__version__}", "threads": args.threads}
    result.update(bench_document(args) if args.document else bench_random(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
