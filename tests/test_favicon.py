"""The site icon browsers ask for on every page (/docs, /supervise) is there, not a 404 in the log."""


async def test_the_favicon_is_an_icon_anyone_may_fetch_and_cache(client):
    response = await client.get("/favicon.ico")
    assert response.status == 200
    assert response.content_type == "image/x-icon"
    assert "max-age" in response.headers["Cache-Control"]
    body = await response.read()
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header: reserved 0, type 1 (icon)
