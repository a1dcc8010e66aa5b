"""Uploads judged by content (market/uploads.py): size, kind, damage, bombs; the content-addressed store."""
import io

import pytest
from aiohttp import FormData, web
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from market import uploads
from market.config import Settings
from market.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from market.web import request_limits
from market.web.keys import SETTINGS
from market.web.problems import problems_middleware


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size=(32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def test_valid_pdf_png_jpeg_webp_pass():
    assert uploads.inspect(pdf_bytes(), kinds=uploads.DOCUMENT_KINDS) == "application/pdf"
    assert uploads.inspect(image_bytes("PNG"), kinds=uploads.DOCUMENT_KINDS) == "image/png"
    assert uploads.inspect(image_bytes("JPEG"), kinds=uploads.DOCUMENT_KINDS) == "image/jpeg"
    assert uploads.inspect(image_bytes("WEBP"), kinds=uploads.DOCUMENT_KINDS) == "image/webp"


def test_text_named_pdf_is_415():
    with pytest.raises(UnsupportedMediaType):
        uploads.inspect(b"this is not a pdf at all\n", kinds=uploads.DOCUMENT_KINDS)


def test_kind_not_allowed_is_415():
    with pytest.raises(UnsupportedMediaType):
        uploads.inspect(image_bytes("PNG"), kinds={uploads.PDF})


def test_truncated_pdf_is_422():
    data = pdf_bytes()
    with pytest.raises(ValidationFailed) as caught:
        uploads.inspect(data[: len(data) // 2], kinds=uploads.DOCUMENT_KINDS)
    assert caught.value.errors[0].loc == ("file",)


def test_pdf_with_javascript_is_422():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('hi');")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationFailed):
        uploads.inspect(out.getvalue(), kinds=uploads.DOCUMENT_KINDS)


def test_truncated_png_is_422():
    data = image_bytes("PNG", (400, 400))
    with pytest.raises(ValidationFailed):
        uploads.inspect(data[: len(data) - 40], kinds=uploads.DOCUMENT_KINDS)


def test_png_bomb_is_422_without_decoding():
    # 20000×20000 of one colour compresses to a few hundred KB but would decode to 1.2 GB.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    data = out.getvalue()
    assert len(data) < 1 << 20
    with pytest.raises(ValidationFailed) as caught:
        uploads.inspect(data, kinds=uploads.DOCUMENT_KINDS, max_pixels=40_000_000)
    assert "pixels" in caught.value.errors[0].msg


def test_store_keeps_one_copy_by_hash(tmp_path):
    store = uploads.Store(tmp_path / "uploads")
    data = pdf_bytes()
    first = store.put(data, uploads.PDF)
    second = store.put(data, uploads.PDF)
    assert first == second and first.size == len(data)
    assert store.read(first.sha256) == data
    assert [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == [first.sha256]


def make_app(tmp_path, max_bytes: int) -> web.Application:
    """A route doing what an upload route does, behind the app's own limit and problem middlewares."""
    settings = Settings(data_dir=tmp_path, upload_max_bytes=max_bytes)
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[problems_middleware, request_limits.request_limits_middleware])
    app[SETTINGS] = settings
    store = uploads.Store(settings.uploads_path)

    async def handler(request: web.Request) -> web.Response:
        upload = await uploads.read_upload(request, "file", max_bytes=settings.upload_max_bytes)
        media_type = uploads.inspect(upload.data, kinds=uploads.DOCUMENT_KINDS)
        stored = store.put(upload.data, media_type)
        return web.json_response({"sha256": stored.sha256, "media_type": media_type, "fields": upload.fields})

    app.router.add_post("/up", handler)
    return app


def form(data: bytes, filename: str = "c.pdf") -> FormData:
    body = FormData()
    body.add_field("kind", "health")
    body.add_field("file", io.BytesIO(data), filename=filename, content_type="application/pdf")
    return body


def stored_files(tmp_path) -> list:
    return [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]


async def test_route_stores_valid_and_refuses_bad_without_storing(tmp_path, aiohttp_client):
    client = await aiohttp_client(make_app(tmp_path, 2 << 20))
    response = await client.post("/up", data=form(b"plain text, named .pdf"))
    assert response.status == 415
    assert response.content_type == "application/problem+json"
    data = pdf_bytes()
    response = await client.post("/up", data=form(data[:-60]))
    assert response.status == 422
    assert stored_files(tmp_path) == []
    response = await client.post("/up", data=form(data))
    assert response.status == 200, await response.text()
    assert (await response.json())["fields"] == {"kind": "health"}
    assert len(stored_files(tmp_path)) == 1


async def test_route_refuses_an_oversize_body_with_413(tmp_path, aiohttp_client):
    # Larger than max_body_bytes (1 MiB) + the upload limit: refused on Content-Length at once.
    client = await aiohttp_client(make_app(tmp_path, 1 << 20))
    response = await client.post("/up", data=form(b"%PDF-" + b"0" * (50 << 20)))
    assert response.status == 413
    # Within the request limit but over the file's: refused while reading, at the limit.
    response = await client.post("/up", data=form(b"%PDF-" + b"0" * ((1 << 20) + 10)))
    assert response.status == 413
    assert stored_files(tmp_path) == []


def test_read_limited_stops_at_the_limit():
    class Part:
        reads = 0

        async def read_chunk(self, size):
            self.reads += 1
            return b"x" * size

    import asyncio

    part = Part()
    with pytest.raises(PayloadTooLarge):
        asyncio.run(uploads._read_limited(part, 100_000, too_large=lambda: PayloadTooLarge("big")))
    assert part.reads == 2


def test_inspect_refuses_bytes_beyond_max_bytes_with_413():
    with pytest.raises(PayloadTooLarge):
        uploads.inspect(b"%PDF-" + b"0" * 100, max_bytes=50)
