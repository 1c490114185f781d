"""KYC document checks: the type is read from the content (never trusted from the name or the
declared content type), the size is bounded, and the SHA-256 is computed server-side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import puremagic

from shared.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024  # kycMaxFileSize (spec rules.md §13.2)
ALLOWED = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    data: bytes
    mime: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return ALLOWED[self.mime]


def detect_mime(data: bytes) -> str | None:
    try:
        mime = puremagic.from_string(data[:8192], mime=True)
    except (puremagic.PureError, ValueError):
        return None
    return mime or None


def check(data: bytes) -> CheckedDocument:
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"documents are limited to {MAX_BYTES} bytes", limit=MAX_BYTES)
    if not data:
        raise ValidationFailed(
            "the document is empty",
            errors=[{"field": "document", "message": "empty file", "type": "value_error"}],
        )
    mime = detect_mime(data)
    if mime not in ALLOWED:
        raise UnsupportedMediaType(
            "only JPEG, PNG and PDF documents are accepted", code="DOCUMENT_TYPE_NOT_ALLOWED"
        )
    return CheckedDocument(data=data, mime=mime, sha256=hashlib.sha256(data).hexdigest())
