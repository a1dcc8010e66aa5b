"""A filled agreement (model.Document) as PDF bytes, with fpdf2 and the embedded CJK font.

Deterministic: the creation date and every other metadata field come from the agreement itself,
so one agreement renders the same bytes on any machine with the same fpdf2 and font — which is
what lets anyone check a document against the SHA-256 its parties signed. fpdf2 embeds only the
glyphs the document uses (a few tens of kB of the 3 MB subset, tools/build_agreement_font.py).

CPU-bound (about 0.1–0.2 s, most of it fontTools parsing and subsetting the font, which fpdf2 does
per document): the background renderer runs it off the event loop (service.Contracts.render_pending).
"""
from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont

from market.contracts.model import Document

FONT_FILE = "AgreementSans-Regular.ttf"
FONT = "agreement"
MISSING = "□"  # in GB 2312: stands in for a character of free text (a title, a name) the font lacks


@cache
def font_path() -> Path:
    with resources.as_file(resources.files("market.contracts").joinpath("fonts", FONT_FILE)) as path:
        return Path(path)


@cache
def font_characters() -> frozenset[int]:
    with TTFont(font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """`text` with every character the font cannot draw replaced by □ (the stored terms keep it)."""
    known = font_characters()
    return "".join(c if ord(c) in known or c in "\n" else MISSING for c in text)


def render(document: Document) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(document.made_at)
    pdf.set_title(printable(document.title))
    pdf.set_subject(document.version)
    pdf.set_author("market")
    pdf.set_creator("market/contracts")
    pdf.set_lang("zh-CN")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, fname=str(font_path()))
    # The glyphs' bounding boxes in our font are right (computed when it was built): fontTools would
    # otherwise decode and re-encode every embedded glyph to compute them again, which is most of
    # the time of a render (docs/benchmarks.md, "Agreement rendering").
    font = pdf.fonts[FONT]
    assert isinstance(font, TTFFont)
    font.ttfont.recalcBBoxes = False
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.multi_cell(0, 10, printable(document.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for clause in document.clauses:
        pdf.set_font(FONT, size=12)
        pdf.multi_cell(0, 8, printable(clause.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=10.5)
        for paragraph in clause.paragraphs:
            pdf.multi_cell(0, 6, printable(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    return bytes(pdf.output())


def sha256(document: bytes) -> bytes:
    return hashlib.sha256(document).digest()
