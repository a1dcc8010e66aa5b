"""Each relationship type's template, filled and rendered, without a database: every clause the
law and docs/agreements.md ask for is there with the order's terms, the worker's resident ID only
masked, every character printable by the embedded font, and the same agreement renders the same bytes."""
from __future__ import annotations

import io
import json
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from importlib import resources

import pypdf
import pytest

from market.contracts import model, render
from market.contracts.service import render_document
from market.kernel.relationships import RelationshipType

CLAUSES = ["parties", "relationship", "work", "pay", "insurance", "cancellation", "no_show", "complaints", "signing"]
MADE = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)
CLEAR_ID = "500103199001011234"


def terms(relationship: RelationshipType, **changes) -> model.Terms:
    parties = [model.Party("employer", uuid.UUID(int=1), "重庆山城物流有限公司", "91500103MA5U7JXX1Y"),
               model.Party("worker", uuid.UUID(int=2), "李秀兰", "5001**********1234")]
    shared = relationship is RelationshipType.shared_labor
    if shared:
        parties.insert(1, model.Party("lender", uuid.UUID(int=3), "重庆两江制造有限公司", "91500000MA5U7JXX2Q"))
    made = model.Terms(
        contract_id=uuid.UUID(int=9), relationship=relationship, parties=tuple(parties), title="仓库分拣",
        description="双十二高峰分拣打包", district_name="渝中区", site_address="解放碑某仓库",
        shifts=(model.Shift(MADE + timedelta(days=2), MADE + timedelta(days=2, hours=4)),), pay_unit="hour",
        pay_amount_fen=2850, pay_stated_hours=None, pay_cycle_days=7, pay_due_date=date(2026, 12, 11),
        late_cancel_window_minutes=1440, late_cancel_compensation_minutes=240, no_show_grace_minutes=20, made_at=MADE,
        wage_hourly_fen=2700 if shared else None, fee_per_worker_day_fen=28000 if shared else None)
    return replace(made, **changes)


@pytest.mark.parametrize("relationship", list(RelationshipType))
def test_every_template_has_every_clause_in_order(relationship):
    assert model.clause_keys(relationship) == CLAUSES


@pytest.mark.parametrize("relationship", list(RelationshipType))
def test_a_filled_agreement_states_the_orders_terms(relationship):
    text = model.fill(terms(relationship)).text()
    for expected in ("重庆山城物流有限公司", "91500103MA5U7JXX1Y", "李秀兰", "5001**********1234", "仓库分拣",
                     "重庆市渝中区，解放碑某仓库", "2026-12-06 10:00 至 2026-12-06 14:00", "2026-12-11",
                     "24 小时内取消", " 4 小时的", "20 分钟内未签到", "12333", "SHA-256",
                     str(uuid.UUID(int=9)), model.template_version(relationship),
                     model.MEANING[relationship], model.INSURANCE[relationship], model.REQUIREMENTS[relationship].basis):
        assert expected in text, expected
    assert "{" not in text and "}" not in text  # every field filled
    assert CLEAR_ID not in text


def test_each_relationship_type_says_what_it_means_for_the_worker():
    assert "劳动关系" in model.MEANING[RelationshipType.labor_part_time]
    assert "二十四小时" in model.MEANING[RelationshipType.labor_part_time]
    assert "宽放" in model.MEANING[RelationshipType.incomplete_labor]
    assert "民事关系" in model.MEANING[RelationshipType.labor_service]
    assert "劳动关系不变" in model.MEANING[RelationshipType.shared_labor]
    assert "工伤保险" in model.INSURANCE[RelationshipType.labor_part_time]
    for relationship in (RelationshipType.incomplete_labor, RelationshipType.labor_service):
        assert "职业伤害保障" in model.INSURANCE[relationship]


def test_the_pay_is_the_seats_with_its_unit_and_cycle():
    text = model.fill(terms(RelationshipType.labor_part_time)).text()
    assert "28.50 元/小时" in text and "工资结算周期为 7 日" in text
    daily = model.fill(terms(RelationshipType.labor_service, pay_unit="day", pay_amount_fen=24000,
                             pay_stated_hours=__import__("decimal").Decimal("8.00"))).text()
    assert "240.00 元/日（每日按 8.00 小时计）" in daily


def test_the_three_party_agreement_names_the_lender_its_wage_and_the_fee():
    text = model.fill(terms(RelationshipType.shared_labor)).text()
    assert "原用人单位（出借方，乙方）：重庆两江制造有限公司" in text
    assert "27.00 元/小时，由乙方足额支付" in text and "280.00 元/人·日" in text
    assert "不得将丙方再派遣或转借" in text


def test_only_incomplete_labor_labor_service_and_shared_labor_require_a_written_agreement():
    assert {r for r, need in model.REQUIREMENTS.items() if need.written_required} == {
        RelationshipType.incomplete_labor, RelationshipType.labor_service, RelationshipType.shared_labor}
    assert model.REQUIREMENTS[RelationshipType.shared_labor].roles == ("employer", "lender", "worker")


def test_every_character_of_the_templates_and_the_district_names_is_in_the_embedded_font():
    known = render.font_characters()
    districts = json.loads(resources.files("market.catalogue").joinpath("data", "districts.json").read_text("utf-8"))
    text = "".join(model.template_text(r) for r in RelationshipType) + "".join(model.MEANING.values())
    text += "".join(model.INSURANCE.values()) + "".join(r.basis for r in model.REQUIREMENTS.values())
    text += json.dumps(districts, ensure_ascii=False)
    missing = sorted({c for c in text if ord(c) not in known and c not in "\n"})
    assert missing == []


def test_characters_the_font_lacks_print_as_a_box_and_the_document_still_renders():
    assert render.printable("分拣😀") == "分拣□"
    document = render.render(model.fill(terms(RelationshipType.labor_service, title="分拣😀")))
    assert "分拣□" in pypdf.PdfReader(io.BytesIO(document)).pages[0].extract_text()


@pytest.mark.parametrize("relationship", list(RelationshipType))
def test_the_same_agreement_renders_the_same_bytes_and_another_one_others(relationship):
    first, first_hash = render_document(terms(relationship))
    again, again_hash = render_document(terms(relationship))
    assert first == again and first_hash == again_hash == render.sha256(first)
    _, other_hash = render_document(terms(relationship, title="仓库打包"))
    assert other_hash != first_hash
    assert first.startswith(b"%PDF-")


def test_the_pdf_carries_the_text_in_the_embedded_font():
    document, _ = render_document(terms(RelationshipType.incomplete_labor))
    reader = pypdf.PdfReader(io.BytesIO(document))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert "新就业形态劳动者权益保障书面协议" in text and "李秀兰" in text and "5001**********1234" in text
    fonts = [f for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    assert all("/FontFile2" in f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)
    assert reader.metadata.creation_date == MADE
