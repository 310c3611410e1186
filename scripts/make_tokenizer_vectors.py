#!/usr/bin/env python3
"""Writes the tokenizer parity vectors under tests/engine/data/.

The references are independent of the engine: Hugging Face `tokenizers` for the
byte-level BPE variants and `sentencepiece` for the SentencePiece-style vocabulary.

  tokenizer_smollm2_vectors.json   cases for the default model (SmolLM2). The reference is
                                   an HF tokenizer built from the model's own GGUF vocabulary
                                   and merges, with SmolLM2's pre-tokenizer.
  tokenizer_llama3_vocab.json      a tiny byte-level vocabulary trained here with Llama 3's
                                   split pattern, plus cases (pre = llama-bpe).
  tokenizer_qwen2_vocab.json       the same with Qwen2's split pattern (pre = qwen2).
  tokenizer_spm_vocab.json         a tiny SentencePiece BPE vocabulary (byte fallback, dummy
                                   prefix), plus cases encoded by sentencepiece itself.

The tiny vocabularies are stored as JSON (tokens, types, scores, merges); the C++ tests write
them into GGUF files with the engine's writer, so the whole loading path is exercised.

Usage: scripts/make_tokenizer_vectors.py [--model PATH]   (default: scripts/fetch-model)
Needs: pip install gguf tokenizers sentencepiece
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import gguf
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "engine" / "data"

# Published split patterns of the pre-tokenizers under test.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED = 1, 3, 4


# ---------------------------------------------------------------------------------------
# Corpus

HAND_WRITTEN = [
    # English prose
    "Hello world",
    "Hello, world!",
    "hello world",
    "HELLO WORLD",
    " Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "It was the best of times, it was the worst of times, it was the age of wisdom.",
    "Call me Ishmael. Some years ago - never mind how long precisely - having little money.",
    "In 1905, Einstein published four papers that changed physics forever.",
    "The committee will reconvene on Thursday; please bring the revised budget.",
    "She sells sea shells by the sea shore.",
    "A long document needs a long context window, or a clever cache.",
    "Transformers attend to every previous token in the sequence.",
    "Mr. and Mrs. Dursley, of number four, Privet Drive, were proud to say that they were perfectly normal.",
    "antidisestablishmentarianism",
    "Supercalifragilisticexpialidocious!",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "ThisIsCamelCase and this_is_snake_case and THIS-IS-KEBAB",
    "e-mail, co-operate, re-enter, state-of-the-art",
    # Contractions, lower and upper case
    "I'm here, you're there, we've been, they'll go, he'd know, it's fine, don't stop.",
    "I'M HERE, YOU'RE THERE, WE'VE BEEN, THEY'LL GO, HE'D KNOW, IT'S FINE, DON'T STOP.",
    "IT'S John'S BOOK; Mary'S pen; We'Re; They'Ve; I'M; You'Ll; She'D",
    "'s 't 're 've 'm 'll 'd",
    "'S 'T 'RE 'VE 'M 'LL 'D",
    "the dog's bone and the dogs' bones",
    "rock 'n' roll, 'tis, 'twas, o'clock",
    "can't won't shouldn't wouldn't couldn't",
    "''s ''t 'x 'sss 'llama",
    "x'ſa long s folds to s; x'Ka Kelvin sign",
    # Accents and Latin scripts
    "café naïve résumé façade jalapeño",
    "Ångström Zürich Köln São Paulo Kraków",
    "crème brûlée à la mode",
    "El Niño y La Niña",
    "Ça va? Où est la bibliothèque?",
    "Straße, Maß, Fuß",
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞß",
    "e\u0301 vs \u00e9 (combining acute versus precomposed)",
    "n\u0303o\u0308a\u030a",
    # Other scripts
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "Բարեւ աշխարհ",
    "ሰላም ልዑል",
    "გამარჯობა მსოფლიო",
    # CJK
    "你好，世界",
    "我爱自然语言处理。",
    "日本語のテキストを処理します。",
    "カタカナとひらがなと漢字",
    "한국어 문장입니다.",
    "中文English混合text",
    "东京2024年奥运会",
    "「引用」と『二重引用』",
    "全角スペース\u3000と半角スペース",
    # Emoji
    "😀",
    "😀😃😄😁",
    "I love pizza 🍕 and tacos 🌮!",
    "👍🏽 thumbs up with skin tone",
    "👨\u200d👩\u200d👧\u200d👦 family",
    "🏳️\u200d🌈 flag",
    "❤️ red heart",
    "🇺🇸🇬🇧🇯🇵",
    "🧑\u200d💻 coding",
    "emoji at end 🎉",
    "🎉 emoji at start",
    "👋🏻👋🏼👋🏽👋🏾👋🏿",
    # Code
    "def add(a, b):\n    return a + b\n",
    "int main() {\n\treturn 0;\n}\n",
    "for (int i = 0; i < n; ++i) { sum += x[i] * y[i]; }",
    "if x == 10 and y != 20:\n        print(f\"{x=}, {y=}\")",
    '{"name": "Glimpse", "version": 1, "tags": ["a", "b"]}',
    "<div class=\"main\"><p>Hello</p></div>",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "const f = (x) => x ** 2; // square",
    "#include <vector>\n#include <string>\n",
    "std::vector<std::string> v{\"a\", \"b\"};",
    "$ ls -la /usr/local/bin | grep python3",
    "    indented four spaces\n        eight spaces\n",
    "x = [1, 2, 3]\ny = {'a': 1}\n",
    "https://example.com/path?query=1&other=two#frag",
    "user@example.com",
    "C:\\Users\\name\\Documents\\file.txt",
    "/* comment */ // another\n# hash comment",
    "lambda_x_1 = lambda x: x+1",
    # Numbers
    "123",
    "1234567890",
    "3.14159265358979",
    "1,000,000",
    "-42 +17 0.5e-10",
    "2024-01-15T12:30:45Z",
    "0x1F 0b1010 0o777",
    "Call 555-1234 or +1 (800) 555-0199",
    "Version 2.0.1-beta.3",
    "12 apples and 345 oranges",
    "a1b2c3d4",
    "route66 and 4ever",
    "١٢٣ Arabic-Indic digits",
    "Ⅻ roman numeral, ½ half, ² squared, ③ circled",
    "१२३ देवनागरी अंक",
    "１２３ fullwidth digits",
    "$100.00 €50 £20 ¥1000",
    "99%",
    # Whitespace runs
    "a  b",
    "a   b    c",
    "   leading spaces",
    "trailing spaces   ",
    "trailing space ",
    " ",
    "  ",
    "          ",
    "\t",
    "\t\ttabs\tand\ttabs",
    "line one\nline two",
    "paragraph one\n\nparagraph two",
    "\n",
    "\n\n\n",
    "windows\r\nline\r\nendings",
    " \n \n ",
    "mixed \t \n whitespace",
    "end with newline\n",
    "  \n  indented after newline",
    "word\u00a0nbsp",
    "vertical\x0btab and form\x0cfeed",
    "next\x85line",
    "line\u2028separator",
    "a\t\t\t\nb",
    "spaces before newline   \nnext",
    "\n\n  \n\t\n",
    # Punctuation clusters
    "!!!",
    "?!?!",
    "...",
    "Wait... what?!",
    "---",
    "***bold***",
    "(([[{{}}]]))",
    "'''",
    "\"quoted\"",
    "e.g., i.e., etc.",
    "#@$%^&*",
    "a.b.c.d",
    "-- em dash — en dash –",
    "«guillemets» „low quotes“ ‘single’ “double”",
    "@@ -1,3 +1,4 @@",
    "!=, ==, <=, >=, =>, ->, ::, ||, &&",
    "~~strike~~ __under__",
    ";;;:::",
    # Special tokens inline
    "<|im_start|>user\nHello<|im_end|>\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "text before<|endoftext|>text after",
    "<|im_start|><|im_end|>",
    "<|im_start|><|im_start|>",
    "a<|im_end|>b",
    " <|im_start|> spaced ",
    "<|im_start",
    "im_start|>",
    "<|im_end|",
    "<|im_start|>assistant",
    "<repo_name>glimpse<file_sep>main.cpp",
    "<filename>x.py\n<gh_stars>10",
    "<<|im_start|>>",
    "<|endoftext|><|endoftext|>",
    "Hello<|endoftext|>",
    "<|endoftext|>",
    "<jupyter_code>print(1)<jupyter_output>1",
    # Mixed bag
    "",
    "a",
    "A",
    "Ġ",
    "ĠĠ Ċ",
    "ａｂｃ fullwidth letters",
    "Zero\u200bwidth\u200bspace",
    "soft\u00adhyphen",
    "tab\tseparated\tvalues\t1\t2",
    "key: value\nlist:\n  - item1\n  - item2\n",
    "| col1 | col2 |\n|------|------|\n| 1 | 2 |",
    "**Markdown** _italic_ `code` [link](http://x.y)",
    "The year 1999 was followed by 2000.",
    "Q: What's 7 × 8? A: 56.",
    "∀x ∈ ℝ, x² ≥ 0",
    "α + β = γ",
    "→ ← ↑ ↓ ⇒ ⇔",
    "©®™",
    "I said, \"It's 5 o'clock\", didn't I?",
]

# Fragments the random strings are made of: each stresses a boundary of some pattern.
FRAGMENTS = [
    "the", "The", "THE", " the", "word", "Word", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n",
    "'s", "'S", "'ll", "'LL", "'re", "'ve", "'d", "'m", "'t", "'", "\"",
    "0", "7", "12", "123", "1234", "3.5", "1,000",
    ".", ",", "!", "?", "...", "-", "—", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "_", "#", "@",
    "é", "ü", "ñ", "ß", "Ω", "ж", "你", "好", "日本", "한", "ا", "ש", "न", "\u0301",
    "😀", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "❤️",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im", "|>",
    "foo", "bar", "baz", "x", "y", "z", "A", "B",
    "\u00a0", "\u3000", "\x0b",
]


def random_corpus(count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(1, 12)
        out.append("".join(rng.choice(FRAGMENTS) for _ in range(n)))
    return out


def corpus():
    texts = list(HAND_WRITTEN) + random_corpus(160, seed=20240601)
    # A long mixed string exercises long words and whitespace runs.
    texts.append(" ".join(HAND_WRITTEN[:40]))
    texts.append(" " * 200 + "x" + "\n" * 50)
    texts.append("9" * 100)
    seen, unique = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


# ---------------------------------------------------------------------------------------
# GGUF reading

def field_strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def field_scalars(reader, key):
    field = reader.fields[key]
    return [field.parts[i].tolist()[0] for i in field.data]


def field_value(reader, key):
    field = reader.fields.get(key)
    if field is None:
        return None
    value = field.parts[field.data[0]]
    if field.types[0] == gguf.GGUFValueType.STRING:
        return bytes(value).decode("utf-8")
    return value.tolist()[0]


# ---------------------------------------------------------------------------------------
# References

def hf_byte_level(tokens, types, merges, pre_tokenizer, ignore_merges, with_specials=True):
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, ignore_merges=ignore_merges))
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    if with_specials:
        specials = [AddedToken(t, special=(ty == TOKEN_CONTROL), normalized=False)
                    for t, ty in zip(tokens, types) if ty in (TOKEN_CONTROL, TOKEN_USER_DEFINED)]
        tok.add_special_tokens(specials)
    return tok


def smollm_pre_tokenizer():
    return pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])


def split_pre_tokenizer(pattern):
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def check_round_trip(tok, text, ids):
    back = tok.decode(ids, skip_special_tokens=False)
    if back != text:
        sys.exit(f"reference does not round-trip {text!r}: got {back!r}")


def encode_cases(tok, texts, parse_special=True):
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        check_round_trip(tok, text, ids)
        cases.append({"text": text, "parse_special": parse_special, "ids": ids})
    return cases


def make_smollm2(model_path, texts):
    reader = gguf.GGUFReader(model_path)
    tokens = field_strings(reader, "tokenizer.ggml.tokens")
    types = field_scalars(reader, "tokenizer.ggml.token_type")
    merges = field_strings(reader, "tokenizer.ggml.merges")
    pre = field_value(reader, "tokenizer.ggml.pre")
    if pre != "smollm":
        sys.exit(f"{model_path}: expected tokenizer.ggml.pre = smollm, found {pre}")
    tok = hf_byte_level(tokens, types, merges, smollm_pre_tokenizer(), ignore_merges=False)
    cases = encode_cases(tok, texts)
    # With special-token parsing off, special tokens are plain text: the reference is the
    # same tokenizer without added tokens.
    plain = hf_byte_level(tokens, types, merges, smollm_pre_tokenizer(), ignore_merges=False,
                          with_specials=False)
    special_texts = [t for t in texts if "<|" in t or "<repo_name>" in t]
    cases += encode_cases(plain, special_texts, parse_special=False)
    return {
        "model_file": os.path.basename(model_path),
        "pre": pre,
        "vocab_size": len(tokens),
        "reference": f"tokenizers BPE from the GGUF merges, pre_tokenizer "
                     f"Sequence[Digits(individual_digits=True), ByteLevel(use_regex=True)]",
        "cases": cases,
    }


def training_text():
    # Prose and code for the tiny vocabularies; the corpus itself plus some repetition so
    # that frequent words get whole-word merges.
    base = [t for t in HAND_WRITTEN if "<|" not in t]
    return base * 3 + random_corpus(300, seed=7)


def make_synthetic_byte_level(pattern, pre_name, ignore_merges, specials, texts):
    pre = split_pre_tokenizer(pattern)
    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=256 + len(specials) + 420, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    trainer_tok.train_from_iterator(training_text(), trainer=trainer)
    state = json.loads(trainer_tok.to_str())
    vocab = state["model"]["vocab"]
    tokens = [None] * len(vocab)
    for piece, i in vocab.items():
        tokens[i] = piece
    merges = [" ".join(m) if isinstance(m, list) else m for m in state["model"]["merges"]]
    types = [TOKEN_CONTROL if t in specials else TOKEN_NORMAL for t in tokens]
    tok = hf_byte_level(tokens, types, merges, pre, ignore_merges=ignore_merges)
    return {
        "model": "gpt2",
        "pre": pre_name,
        "reference": f"tokenizers BpeTrainer vocabulary; pre_tokenizer Sequence[Split(pattern, "
                     f"isolated), ByteLevel(use_regex=False)], ignore_merges={ignore_merges}",
        "tokens": tokens,
        "token_type": types,
        "merges": merges,
        "cases": encode_cases(tok, texts),
    }


def make_spm(texts):
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        lines = [t.replace("\n", " ") for t in training_text() if t.strip()]
        train_file.write_text("\n".join(lines), encoding="utf-8")
        prefix = str(Path(tmp) / "spm")
        spm.SentencePieceTrainer.train(
            input=str(train_file), model_prefix=prefix, model_type="bpe", vocab_size=900,
            byte_fallback=True, character_coverage=0.98, normalization_rule_name="identity",
            remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=False,
            bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(TOKEN_CONTROL)
        elif sp.is_byte(i):
            types.append(6)
        elif sp.is_unused(i):
            types.append(5)
        else:
            types.append(TOKEN_NORMAL)
    cases = []
    for text in texts:
        ids = sp.encode(text)
        if sp.decode(ids) != text:
            continue  # sentencepiece itself does not round-trip this one (e.g. leading spaces)
        cases.append({"text": text, "parse_special": False, "ids": ids})
    # With BOS requested, the reference is BOS followed by the plain encoding.
    for text in texts[:20]:
        cases.append({"text": text, "parse_special": False, "add_bos": True,
                      "ids": [sp.bos_id()] + sp.encode(text)})
    return {
        "model": "llama",
        "reference": "sentencepiece BPE (byte_fallback, identity normalization, dummy prefix)",
        "tokens": tokens,
        "scores": scores,
        "token_type": types,
        "bos_token_id": sp.bos_id(),
        "eos_token_id": sp.eos_id(),
        "unknown_token_id": sp.unk_id(),
        "cases": cases,
    }


def write_json(name, obj):
    path = DATA / name
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB, "
          f"{len(obj['cases'])} cases)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="SmolLM2 GGUF (default: output of scripts/fetch-model)")
    args = parser.parse_args()
    model = args.model or subprocess.check_output([str(ROOT / "scripts" / "fetch-model")],
                                                  text=True).strip()
    DATA.mkdir(parents=True, exist_ok=True)
    texts = corpus()
    write_json("tokenizer_smollm2_vectors.json", make_smollm2(model, texts))

    llama3_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                       "<|end_header_id|>", "<|eot_id|>"]
    llama3 = make_synthetic_byte_level(LLAMA3_PATTERN, "llama-bpe", True, llama3_specials,
                                       [t.replace("<|im_start|>", "<|start_header_id|>")
                                         .replace("<|im_end|>", "<|eot_id|>")
                                         .replace("<|endoftext|>", "<|end_of_text|>")
                                        for t in texts])
    llama3["bos_token_id"] = llama3["tokens"].index("<|begin_of_text|>")
    llama3["eos_token_id"] = llama3["tokens"].index("<|end_of_text|>")
    llama3["add_bos_token"] = True
    write_json("tokenizer_llama3_vocab.json", llama3)

    qwen2_specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    qwen2 = make_synthetic_byte_level(QWEN2_PATTERN, "qwen2", False, qwen2_specials, texts)
    qwen2["eos_token_id"] = qwen2["tokens"].index("<|im_end|>")
    write_json("tokenizer_qwen2_vocab.json", qwen2)

    write_json("tokenizer_spm_vocab.json", make_spm(texts))


if __name__ == "__main__":
    main()
