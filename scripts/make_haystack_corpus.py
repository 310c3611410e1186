#!/usr/bin/env python3
"""Builds resources/eval/haystack.jsonl: plain English prose paragraphs for eval haystacks.

The text comes from the HTML documentation that three Debian 12 packages install:
  debian-handbook      /usr/share/doc/debian-handbook/html/en-US/*.html  (GPL-2+ or CC-BY-SA-3.0)
  debian-reference-en  /usr/share/debian-reference/*.en.html             (GPL-2+)
  python3.11-doc       /usr/share/doc/python3.11/html/{tutorial,howto,faq,reference,using,library}/*.html  (PSF-2.0)
Install them with `apt-get install debian-handbook debian-reference-en python3-doc`.

Only <p> and <div class="para"> elements are kept (code blocks, tables, lists, headings and navigation are dropped),
markup is stripped, whitespace is normalised, and paragraphs that are short or look like
code are skipped. Each output line is a JSON object {"source": ..., "text": ...}; "source"
names the document (package/file) so the generator can split TRAIN and EVAL by document.
The output is deterministic: files are read in sorted order.
"""

import argparse
import html.parser
import json
import pathlib
import re
import sys

SOURCES = [
    ("debian-handbook", pathlib.Path("/usr/share/doc/debian-handbook/html/en-US"), ["*.html"]),
    ("debian-reference", pathlib.Path("/usr/share/debian-reference"), ["*.en.html"]),
    ("python-docs", pathlib.Path("/usr/share/doc/python3.11/html"),
     ["tutorial/*.html", "howto/*.html", "faq/*.html", "reference/*.html", "using/*.html",
      "library/*.html"]),
]

# Elements whose text is never prose, even inside a paragraph.
SKIPPED = {"pre", "table", "script", "style", "sup", "sub"}
INLINE_CODE = {"code", "kbd", "samp", "tt", "var"}
MIN_WORDS = 25
MAX_WORDS = 400
MAX_CODE_SHARE = 0.15


class ParagraphParser(html.parser.HTMLParser):
    """Collects the text of <p> and <div class="para"> elements (DocBook output uses both)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []  # (text, share of characters that were inline code)
        self._tag = None  # the element that opened the current paragraph
        self._depth = 0  # nesting of that element name inside the paragraph
        self._skip = 0
        self._code = 0
        self._parts = []
        self._code_chars = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._tag is None:
            if tag == "p" or (tag == "div" and "para" in classes):
                self._tag, self._depth, self._parts, self._code_chars = tag, 1, [], 0
            return
        if tag == self._tag:
            self._depth += 1
        if tag in SKIPPED:
            self._skip += 1
        elif tag in INLINE_CODE:
            self._code += 1
        elif tag == "br":
            self._parts.append(" ")

    def handle_endtag(self, tag):
        if self._tag is None:
            return
        if tag in SKIPPED and self._skip:
            self._skip -= 1
        elif tag in INLINE_CODE and self._code:
            self._code -= 1
        if tag == self._tag:
            self._depth -= 1
            if self._depth == 0:
                text = "".join(self._parts)
                share = self._code_chars / max(1, len(text.strip()))
                self.paragraphs.append((text, share))
                self._tag = None
                self._skip = self._code = 0

    def handle_data(self, data):
        if self._tag is None or self._skip:
            return
        self._parts.append(data)
        if self._code:
            self._code_chars += len(data.strip())


def clean(text):
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return text


def looks_like_prose(text, code_share):
    words = text.split()
    if not (MIN_WORDS <= len(words) <= MAX_WORDS):
        return False
    if code_share > MAX_CODE_SHARE:
        return False
    letters = sum(c.isalpha() or c.isspace() for c in text)
    if letters < 0.9 * len(text):
        return False
    if not text[0].isupper() or text[-1] not in ".!?":
        return False
    if any(s in text for s in ("http://", "https://", "/usr/", "$ ", "#include", "Copyright ©")):
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="resources/eval/haystack.jsonl")
    parser.add_argument("--max-bytes", type=int, default=6_000_000,
                        help="stop adding documents of a source past its share of this")
    args = parser.parse_args()

    per_source_budget = args.max_bytes // len(SOURCES)
    lines = []
    for package, root, patterns in SOURCES:
        if not root.is_dir():
            sys.exit(f"{root} is missing: install the Debian package that provides {package}")
        files = sorted({p for pattern in patterns for p in root.glob(pattern)})
        used = 0
        documents = 0
        for path in files:
            parser_ = ParagraphParser()
            parser_.feed(path.read_text(encoding="utf-8", errors="replace"))
            source = f"{package}/{path.relative_to(root).as_posix()}"
            kept = []
            seen = set()
            for raw, code_share in parser_.paragraphs:
                text = clean(raw)
                if text in seen or not looks_like_prose(text, code_share):
                    continue
                seen.add(text)
                kept.append(json.dumps({"source": source, "text": text}, ensure_ascii=False))
            if not kept:
                continue
            size = sum(len(k.encode()) + 1 for k in kept)
            if used + size > per_source_budget:
                break
            used += size
            documents += 1
            lines.extend(kept)
        print(f"{package}: {documents} documents, {used} bytes", file=sys.stderr)

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(lines)} paragraphs", file=sys.stderr)


if __name__ == "__main__":
    main()
