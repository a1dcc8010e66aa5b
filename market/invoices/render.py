"""An invoice request as a PDF (fpdf2, with the CJK font the written agreements embed,
market/contracts/render.py) and a month's requests as CSV (market/csvfile.py, injection-safe)."""
from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import TTFFont

from market import csvfile
from market.contracts.render import FONT, font_path, printable
from market.invoices.queries import InvoiceRequest
from market.kernel.clock import SHANGHAI

CSV_COLUMNS = ("invoice_request_id", "period", "kind", "state", "buyer_name", "buyer_credit_code",
               "tax_category_code", "item_name", "tax_rate", "amount_fen", "tax_fen", "total_fen",
               "amount_yuan", "tax_yuan", "total_yuan", "invoice_number", "issued_on")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def rate_text(request: InvoiceRequest) -> str:
    return "不征税" if request.tax_treatment == "not_taxable" else f"{request.tax_rate_permille / 10:g}%"


def csv_text(requests: Sequence[InvoiceRequest]) -> str:
    return csvfile.text(CSV_COLUMNS, ([r.id, r.period, r.kind, r.state, r.buyer_name, r.buyer_credit_code,
                                        r.tax_category_code, r.item_name, rate_text(r), r.amount_fen, r.tax_fen,
                                        r.total_fen, yuan(r.amount_fen), yuan(r.tax_fen), yuan(r.total_fen),
                                        r.invoice_number, r.issued_on] for r in requests), bom=True)


def pdf(request: InvoiceRequest, seller_name: str, seller_credit_code: str) -> bytes:
    document = FPDF(format="A4")
    document.set_creation_date(request.created_at.astimezone(SHANGHAI))
    document.set_title(f"invoice request {request.id}")
    document.set_author("market")
    document.set_creator("market/invoices")
    document.set_lang("zh-CN")
    document.set_margins(20, 18, 20)
    document.add_font(FONT, fname=str(font_path()))
    font = document.fonts[FONT]
    assert isinstance(font, TTFFont)
    font.ttfont.recalcBBoxes = False  # as the agreements: the font's boxes are right already
    document.add_page()
    document.set_font(FONT, size=16)
    title = "开票申请（数电票）" + ("——已开具" if request.state == "issued" else "")
    document.multi_cell(0, 10, printable(title), align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT, size=10.5)
    rows = [
        ("申请编号", str(request.id)),
        ("所属期", request.period),
        ("发票种类", "普通发票" if request.tax_treatment == "not_taxable" else "增值税专用发票或普通发票（购买方选择）"),
        ("购买方名称", request.buyer_name),
        ("购买方统一社会信用代码/纳税人识别号", request.buyer_credit_code),
        ("销售方名称", seller_name),
        ("销售方统一社会信用代码/纳税人识别号", seller_credit_code),
        ("项目名称", request.item_name),
        ("税收分类编码", request.tax_category_code),
        ("税率/征收率", rate_text(request)),
        ("金额（不含税）", f"¥{yuan(request.amount_fen)}"),
        ("税额", f"¥{yuan(request.tax_fen)}"),
        ("价税合计", f"¥{yuan(request.total_fen)}"),
        ("发票号码", request.invoice_number or "（待开具）"),
        ("开票日期", request.issued_on.isoformat() if request.issued_on else "（待开具）"),
    ]
    for label, value in rows:
        document.cell(70, 8, printable(label), border=1)
        document.multi_cell(0, 8, printable(value), border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
