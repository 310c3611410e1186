#!/usr/bin/env python3
"""Typesets resources/samples/harbor-light-report.md as the shipped sample PDF, one page per
"## Page N" section, so the desktop app and the tests have a real PDF with a text layer to
read, cite and highlight. Needs reportlab from PyPI (pip install reportlab)."""
import pathlib
import re
import sys

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

root = pathlib.Path(__file__).resolve().parent.parent
source = root / "resources/samples/harbor-light-report.md"
target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else source.with_suffix(".pdf")

styles = getSampleStyleSheet()
lines = source.read_text(encoding="utf-8").split("\n")
title = lines[0].lstrip("# ").strip()
story = []
paragraph = []


def flush():
    if paragraph:
        story.append(Paragraph(" ".join(paragraph), styles["BodyText"]))
        paragraph.clear()


for line in lines:
    if line.startswith("# "):
        flush()
        story.append(Paragraph(line[2:].strip(), styles["Title"]))
    elif line.startswith("## "):
        flush()
        heading = re.sub(r"^Page \d+:\s*", "", line[3:].strip())
        if any(isinstance(f, Paragraph) and f.style.name == "Heading2" for f in story):
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Heading2"]))
    elif not line.strip():
        flush()
    else:
        paragraph.append(line.strip().replace("&", "&amp;").replace("<", "&lt;"))
flush()


def footer(canvas, doc):
    canvas.saveState()
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(A4[0] / 2, 28, str(doc.page))
    canvas.restoreState()


doc = SimpleDocTemplate(str(target), pagesize=A4, title=title, author="Glimpse sample",
                        invariant=1, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72)
doc.build(story, onFirstPage=footer, onLaterPages=footer)
print(target)
