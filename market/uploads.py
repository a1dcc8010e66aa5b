"""Uploaded files (certificates, case evidence): read within a limit, checked by content, kept by hash.

A file is judged by what it is, never by its name or the Content-Type a client claims: a text file
named `.pdf` is a 415, a PDF that pypdf cannot parse (truncated, damaged) or one carrying scripts
or embedded files is a 422, an image whose pixel count would take gigabytes to decode (a
decompression bomb) is a 422, and a file beyond the size limit is a 413 found while reading, so a
50 MB upload never sits in memory. Nothing is stored before the checks pass.

Accepted files live outside the database rows, in a content-addressed store: the path is the
SHA-256 of the bytes, so the same file uploaded twice is kept once, and a row holding the hash
names exactly one content. A file is written to a temporary name, fsynced and renamed, so a reader
never sees half a file and a crash leaves at most a stray temporary file.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, web

from market.errors import (
    FieldError, NotFound, PayloadTooLarge, RequestTimeout, UnsupportedMediaType, ValidationFailed,
)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
DOCUMENT_KINDS = frozenset({PDF, JPEG, PNG, WEBP})

# An image is decoded only if it has at most this many pixels: 40 megapixels is beyond any phone
# photo of a certificate, and at 4 bytes a pixel stays under 200 MB of memory.
DEFAULT_MAX_PIXELS = 40_000_000
# A form field beside the file (a certificate number, a date) is short.
MAX_FIELD_BYTES = 4096
CHUNK_BYTES = 64 * 1024

# Names in a PDF that run code or carry files when the document is opened.
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")


@dataclass(frozen=True)
class Upload:
    """A multipart request read: the file's bytes and the other form fields as text."""

    data: bytes
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    media_type: str
    size: int


async def read_upload(request: web.Request, field: str, *, max_bytes: int,
                      timeout_seconds: float = 20.0) -> Upload:
    """Read a multipart/form-data body: the part `field` as bytes (at most `max_bytes`: reading
    stops at the first byte past it, a 413) and every other part as a text field. The whole read
    runs under `timeout_seconds` (a 408 otherwise), like any body (market/web/request_limits.py)."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(f"send the file as multipart/form-data, not {request.content_type or 'nothing'}")
    try:
        async with asyncio.timeout(timeout_seconds):
            return await _read_parts(request, field, max_bytes)
    except TimeoutError:
        raise RequestTimeout(f"the upload must arrive within {timeout_seconds:g} seconds") from None


async def _read_parts(request: web.Request, field: str, max_bytes: int) -> Upload:
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise ValidationFailed([FieldError(("body",), "is not a multipart/form-data body")]) from None
    data: bytes | None = None
    filename: str | None = None
    fields: dict[str, str] = {}
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                raise ValidationFailed([FieldError(("body",), "each part must be a named form field")])
            if part.name == field:
                if data is not None:
                    raise ValidationFailed([FieldError((field,), "send one file")])
                data = await _read_limited(part, max_bytes, too_large=lambda: PayloadTooLarge(
                    f"the file may be at most {max_bytes} bytes"))
                filename = part.filename
            else:
                name = part.name
                raw = await _read_limited(part, MAX_FIELD_BYTES, too_large=lambda name=name: ValidationFailed(
                    [FieldError((name,), f"may be at most {MAX_FIELD_BYTES} bytes")]))
                try:
                    text = raw.decode()
                except UnicodeDecodeError:
                    raise ValidationFailed([FieldError((name,), "must be UTF-8 text")]) from None
                if "\x00" in text:
                    raise ValidationFailed([FieldError((name,), "must not contain the NUL character (U+0000)")])
                fields[name] = text
    except ValueError:  # a broken boundary or part header
        raise ValidationFailed([FieldError(("body",), "is not a well-formed multipart/form-data body")]) from None
    if data is None:
        raise ValidationFailed([FieldError((field,), "a file is required")])
    return Upload(data, filename, fields)


async def _read_limited(part: BodyPartReader, limit: int, *, too_large) -> bytes:
    buffer = bytearray()
    while chunk := await part.read_chunk(CHUNK_BYTES):
        buffer += chunk
        if len(buffer) > limit:
            raise too_large()
    return bytes(buffer)


def sniff(data: bytes) -> str | None:
    """The media type the first bytes announce, or None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def inspect(data: bytes, *, max_bytes: int | None = None, kinds: Collection[str] = DOCUMENT_KINDS,
            max_pixels: int = DEFAULT_MAX_PIXELS, field: str = "file") -> str:
    """The media type of `data` once it has passed the checks of its kind: 413 beyond `max_bytes`
    (for bytes that did not come through read_upload), 415 for content of a kind not allowed, 422
    naming `field` for an allowed kind that is damaged or dangerous."""
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(f"the file may be at most {max_bytes} bytes")
    media_type = sniff(data)
    if media_type is None or media_type not in kinds:
        allowed = ", ".join(sorted(kinds))
        raise UnsupportedMediaType(
            f"the file's content is {media_type or 'not a known kind'}; allowed: {allowed}", allowed=sorted(kinds))
    problem = _pdf_problem(data) if media_type == PDF else _image_problem(data, media_type, max_pixels)
    if problem is not None:
        raise ValidationFailed([FieldError((field,), problem, {"media_type": media_type})])
    return media_type


def _pdf_problem(data: bytes) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import DictionaryObject

    if b"%%EOF" not in data[-1024:]:
        return "is not a complete PDF (truncated)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=True)
            if len(reader.pages) == 0:
                return "is a PDF without pages"
            root = reader.trailer["/Root"].get_object()
            if not isinstance(root, DictionaryObject):
                return "is not a readable PDF"
            if "/OpenAction" in root or "/AA" in root:
                return "is a PDF that runs actions when opened"
            for page in reader.pages:
                page.extract_text()  # parses each content stream: a damaged one fails here
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        return "is not a readable PDF"
    if any(name in data for name in _PDF_ACTIVE):
        return "is a PDF carrying scripts or embedded files"
    return None


_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}


def _image_problem(data: bytes, media_type: str, max_pixels: int) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != _PILLOW_FORMATS[media_type]:
                    return "is not the image its first bytes announce"
                width, height = image.size
                if width * height > max_pixels:
                    return f"is {width}×{height} pixels; at most {max_pixels} pixels are accepted"
                image.verify()
            # verify() checks the structure without decoding; decoding finds truncated pixel data.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"has more than {max_pixels} pixels"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return "is not a readable image"
    return None


EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", WEBP: "webp"}


def download(data: bytes, stem: str, media_type: str) -> web.Response:
    """A kept file as a download, never rendered in the API's origin: served as bytes, whatever the
    content proved to be (the record's media type, and the file name's extension, say that)."""
    return web.Response(body=data, content_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{stem}.{EXTENSIONS.get(media_type, "bin")}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


_SHA256 = re.compile(r"[0-9a-f]{64}")


class Store:
    """Files by content under one directory: `<root>/<first two hex digits>/<sha256>`.

    Blocking file I/O: call from a thread (asyncio.to_thread) on the request path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise NotFound("no such file")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, media_type: str | None = None) -> StoredFile:
        """Keep `data` (already passed through inspect, whose media type is given or sniffed again)."""
        media_type = media_type or sniff(data) or "application/octet-stream"
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_of(sha256)
        if not path.exists():  # the same bytes are kept once
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)  # the rename itself survives a crash
            finally:
                os.close(directory)
        return StoredFile(sha256, media_type, len(data))

    def open(self, sha256: str) -> bytes:
        return self.read(sha256)

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound("no such file") from None
