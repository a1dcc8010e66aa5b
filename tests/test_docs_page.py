"""/docs in a real headless Chromium, driven by Playwright (tests/browser.py): a union request body is a selector
of its variants, each showing its own fields and example; every operation shows an example
request, and one with a JSON or event-stream answer an example response; no console errors.

Skipped only when Debian's chromium is not installed (CI installs it: apt-get install -y chromium).
"""
import json

from tests.browser import until

POST_ORDER = "#post_v1_orders"


def visible_fields(panel: str) -> str:
    return f"""[...document.querySelectorAll('{POST_ORDER} [data-variant="{panel}"] tr[data-field]')]
               .filter(row => row.getClientRects().length > 0).map(row => row.dataset.field)"""


async def test_the_order_body_shows_each_variants_fields_and_example_and_every_operation_an_example(client, browser_page,
                                                                                                   page_errors):
    document = await (await client.get("/openapi.json")).json()
    page = browser_page
    await page.goto(str(client.make_url("/docs")))
    await until(page, "document.body?.dataset.state === 'ready'")
    await page.locator(f"{POST_ORDER} > summary").click()

    options = await page.evaluate(f"[...document.querySelectorAll('{POST_ORDER} .variant-selector option')]"
                                  ".map(o => o.value)")
    assert options == ["gig", "shared"]
    gig = await page.evaluate(visible_fields("gig"))
    assert {"kind", "relationship", "shifts", "pay"} <= set(gig) and "schedule" not in gig
    assert await page.evaluate(visible_fields("shared")) == []
    example = await page.locator(f'{POST_ORDER} [data-variant="gig"] .example-request').first.inner_text()
    assert example.startswith("POST /v1/orders") and '"kind": "gig"' in example

    await page.locator(f"{POST_ORDER} .variant-selector").select_option("shared")
    shared = await page.evaluate(visible_fields("shared"))
    assert {"kind", "schedule", "headcount", "fee_per_worker_day_fen"} <= set(shared) and "shifts" not in shared
    assert await page.evaluate(visible_fields("gig")) == []
    assert not await page.locator(f'{POST_ORDER} [data-variant="gig"] .example-request').is_visible()
    example = await page.locator(f'{POST_ORDER} [data-variant="shared"] .example-request').first.inner_text()
    shown = json.loads(example.split("\n\n", 1)[1])
    documented = document["paths"]["/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert shown == documented["shared-1"]["value"]

    rendered = json.loads(await page.evaluate("""JSON.stringify(Object.fromEntries(
        [...document.querySelectorAll('details')].map(d => [d.id, {
            request: d.querySelectorAll('.example-request').length,
            response: d.querySelectorAll('.example-response').length}])))"""))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            shown = rendered[operation["operationId"]]
            assert shown["request"] >= 1, (method, path)
            answers = operation["responses"][next(s for s in operation["responses"] if s < "300")].get("content", {})
            if {"application/json", "text/event-stream"} & set(answers):
                assert shown["response"] >= 1, (method, path)
    assert set(document["webhooks"]) <= {w.removeprefix("webhook_").replace("_", ".", 1) for w in rendered
                                          if w.startswith("webhook_")}
    stream = document["paths"]["/v1/workers/me/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    listed = await page.evaluate("[...document.querySelectorAll('#get_v1_workers_me_events tr[data-event]')]"
                                 ".map(row => [row.dataset.event, row.textContent])")
    assert [kind for kind, _ in listed] == list(stream["x-events"])
    assert "bid_ids" in dict(listed)["bid.placed"] and "bid_id" in dict(listed)["bid.placed"]  # both shapes
    assert page_errors == []
