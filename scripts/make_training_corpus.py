#!/usr/bin/env python3
"""Builds resources/lookahead/training_corpus.jsonl: prose paragraphs for LookaheadKV training prompts.

Same line format as the evaluation corpus (resources/eval/haystack.jsonl, built by
scripts/make_haystack_corpus.py): one JSON object {"source": ..., "text": ...} per paragraph,
where "source" names the document it came from. The documents are other Debian 12
documentation installed on this machine, never those of the evaluation corpus:

  python-docs/      /usr/share/doc/python3.11/html/{whatsnew,extending,c-api,installing,distributing,library}/*.html
                    (python3.11-doc, PSF-2.0); library pages already in the eval corpus are refused
  man/<section>/    manual pages of sections 1, 5 and 8, rendered with `man -P cat` (each package's licence)
  common-licenses/  /usr/share/common-licenses/* (base-files; the licence texts themselves)
  doc/<package>/    README files under /usr/share/doc (each package's licence, see its copyright file)

A document is refused when its source name is in the evaluation corpus or when any of its
paragraphs appears there word for word, so the two corpora share no document. Files are read
in sorted order (man pages: every k-th of the sorted list), so the output is deterministic
for a given set of installed packages.
"""

import argparse
import gzip
import html.parser
import json
import os
import pathlib
import re
import subprocess
import sys

PYTHON_HTML = pathlib.Path("/usr/share/doc/python3.11/html")
PYTHON_DIRS = ["whatsnew", "extending", "c-api", "installing", "distributing", "library"]
MAN_ROOT = pathlib.Path("/usr/share/man")
MAN_SECTIONS = ["1", "5", "8"]
LICENSES = pathlib.Path("/usr/share/common-licenses")
DOC_ROOT = pathlib.Path("/usr/share/doc")

# Shares of --max-bytes per source family.
SHARES = {"python-docs": 0.40, "man": 0.25, "common-licenses": 0.10, "doc": 0.25}

MIN_WORDS = 12
MAX_WORDS = 400

SKIPPED = {"pre", "table", "script", "style", "sup", "sub"}
INLINE_CODE = {"code", "kbd", "samp", "tt", "var"}


class ParagraphParser(html.parser.HTMLParser):
    """Text of <p> elements, with the share of characters that were inline code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self._open = 0
        self._skip = 0
        self._code = 0
        self._parts = []
        self._code_chars = 0

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            if self._open == 0:
                self._parts, self._code_chars = [], 0
            self._open += 1
        elif self._open:
            if tag in SKIPPED:
                self._skip += 1
            elif tag in INLINE_CODE:
                self._code += 1

    def handle_endtag(self, tag):
        if not self._open:
            return
        if tag in SKIPPED and self._skip:
            self._skip -= 1
        elif tag in INLINE_CODE and self._code:
            self._code -= 1
        elif tag == "p":
            self._open -= 1
            if self._open == 0:
                text = "".join(self._parts)
                self.paragraphs.append((text, self._code_chars / max(1, len(text.strip()))))
                self._skip = self._code = 0

    def handle_data(self, data):
        if self._open and not self._skip:
            self._parts.append(data)
            if self._code:
                self._code_chars += len(data.strip())


def clean(text):
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\u2010", "-")
    return re.sub(r"\s+", " ", text).strip()


def looks_like_prose(text, code_share=0.0):
    words = text.split()
    if not (MIN_WORDS <= len(words) <= MAX_WORDS) or code_share > 0.2:
        return False
    letters = sum(c.isalpha() or c.isspace() for c in text)
    if letters < 0.85 * len(text):
        return False
    if not text[0].isalpha() or text[-1] not in ".!?:)":
        return False
    return "Copyright ©" not in text


def read_text(path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def blank_line_paragraphs(text):
    """Paragraphs of plain text: blocks between blank lines, wrapped lines joined."""
    return [clean(block) for block in re.split(r"\n\s*\n", text) if block.strip()]


def python_documents():
    for directory in PYTHON_DIRS:
        for path in sorted((PYTHON_HTML / directory).glob("*.html")):
            source = f"python-docs/{directory}/{path.name}"
            parser = ParagraphParser()
            parser.feed(read_text(path))
            yield source, [clean(t) for t, share in parser.paragraphs if looks_like_prose(clean(t), share)]


def man_documents(every):
    pages = sorted(p for s in MAN_SECTIONS for p in (MAN_ROOT / f"man{s}").glob(f"*.{s}*"))
    env = dict(os.environ, MANWIDTH="100000", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    for path in pages[::every]:
        name = path.name.split(".")[0]
        section = path.parent.name[3:]
        result = subprocess.run(["man", "-P", "cat", str(path)], capture_output=True, env=env, timeout=30)
        if result.returncode != 0:
            continue
        text = re.sub(r".\x08", "", result.stdout.decode("utf-8", errors="replace"))
        yield f"man/{section}/{name}", [p for p in blank_line_paragraphs(text) if looks_like_prose(p)]


def license_documents():
    for path in sorted(LICENSES.iterdir()):
        if path.is_file() and not path.is_symlink():
            yield f"common-licenses/{path.name}", [p for p in blank_line_paragraphs(read_text(path)) if looks_like_prose(p)]


def readme_documents():
    for path in sorted(DOC_ROOT.glob("*/README*")):
        name = path.name.removesuffix(".gz")
        if path.is_file() and (name.startswith("README") and pathlib.PurePath(name).suffix in ("", ".md", ".txt", ".Debian")):
            source = f"doc/{path.parent.name}/{name}"
            yield source, [p for p in blank_line_paragraphs(read_text(path)) if looks_like_prose(p)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="resources/lookahead/training_corpus.jsonl")
    parser.add_argument("--eval-corpus", default="resources/eval/haystack.jsonl")
    parser.add_argument("--max-bytes", type=int, default=4_000_000)
    parser.add_argument("--man-every", type=int, default=40, help="take every k-th man page of the sorted list")
    args = parser.parse_args()

    eval_sources, eval_texts = set(), set()
    with open(args.eval_corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                eval_sources.add(item["source"])
                eval_texts.add(item["text"])
    if not eval_sources:
        sys.exit(f"{args.eval_corpus} holds no documents; the training corpus must be checked against it")

    families = [
        ("python-docs", python_documents()),
        ("man", man_documents(args.man_every)),
        ("common-licenses", license_documents()),
        ("doc", readme_documents()),
    ]
    lines = []
    refused = 0
    for family, documents in families:
        budget = int(args.max_bytes * SHARES[family])
        used = count = 0
        for source, paragraphs in documents:
            if source in eval_sources or any(p in eval_texts for p in paragraphs):
                refused += 1
                continue
            seen = set()
            kept = []
            for p in paragraphs:
                if p not in seen:
                    seen.add(p)
                    kept.append(json.dumps({"source": source, "text": p}, ensure_ascii=False))
            if len(kept) < 3:   # too little prose to build a prompt around
                continue
            size = sum(len(k.encode()) + 1 for k in kept)
            if used + size > budget:
                continue
            used += size
            count += 1
            lines.extend(kept)
        print(f"{family}: {count} documents, {used} bytes", file=sys.stderr)

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(lines)} paragraphs; refused {refused} documents found in {args.eval_corpus}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
