"""Rebuild market/contracts/fonts/AgreementSans-Regular.ttf: Noto Sans CJK SC cut down to what an
agreement is written in (GB 2312's 6,763 hanzi and its symbols, ASCII, CJK punctuation and full-width
forms), so the package ships 2 MB instead of the 20 MB collection.

Made for speed of rendering, since fpdf2 parses and subsets the font again for every PDF: the
outlines are converted from CFF to TrueType quadratics (fontTools' cu2qu, within 1 unit of 1000 per
em), because subsetting CFF charstrings costs fpdf2 three times as long; the OpenType layout
tables (GSUB, GPOS, vertical metrics), which fpdf2 drops from what it embeds anyway, are left out,
so there is less to parse (docs/benchmarks.md, "Agreement rendering").

    apt-get install fonts-noto-cjk   # /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
    python tools/build_agreement_font.py [path/to/NotoSansCJK-Regular.ttc]

The output is deterministic for one input font (fontTools writes no timestamp we do not fix), so a
rebuild from the same Debian package gives the same bytes, and the PDFs rendered with it stay the same.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_INDEX = 2  # the collection's order: JP, KR, SC, TC, HK, then the Mono faces
TARGET = Path(__file__).resolve().parent.parent / "market" / "contracts" / "fonts" / "AgreementSans-Regular.ttf"
FAMILY = "Agreement Sans"  # a subset is a modified version: named apart from Noto (OFL §3 courtesy)
# A fixed head.created/modified (2026-01-01T00:00:00Z, in seconds since 1904-01-01) so rebuilds match.
FIXED_TIMESTAMP = 3850329600


def gb2312_characters() -> set[int]:
    """Every character GB 2312 encodes: rows 0xA1–0xF7, cells 0xA1–0xFE, as far as they decode."""
    found = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return found


def wanted() -> set[int]:
    return (gb2312_characters() | set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040))
            | set(range(0xFF00, 0xFFF0)) | {0x00A0, 0x00B7, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026,
                                             0x2116, 0x3007, 0x00A5})


def build(source: Path = SOURCE, target: Path = TARGET) -> Path:
    font = TTCollection(str(source)).fonts[SC_INDEX]
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.glyph_names = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "DSIG"]


    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted())
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (3, 4):
            record.string = FAMILY + " Regular"
        elif record.nameID == 6:
            record.string = "AgreementSans-Regular"
    to_truetype_outlines(font)
    font["head"].created = font["head"].modified = FIXED_TIMESTAMP
    font.recalcTimestamp = False
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target), reorderTables=True)
    return target


def to_truetype_outlines(font: TTFont, max_error: float = 1.0) -> None:
    """Replace the CFF table by glyf/loca (cubic curves approximated by quadratic ones)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_error, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), glyf
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1  # the rest is counted again when the font is saved
    for attribute in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                      "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours",
                      "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attribute, 0)
    # Glyph names kept (post format 2): without them fontTools makes a name for each of the 7,700
    # glyphs from the cmap every time fpdf2 opens the font, a fifth of a render.
    font["post"].formatType = 2.0
    font["post"].mapping, font["post"].extraNames = {}, []
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"
    font["head"].glyphDataFormat = 0


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB")
