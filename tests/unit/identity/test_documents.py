"""KYC documents: type from content, size cap, server-side hash."""

import hashlib

import pytest

from shared.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared.identity.documents import MAX_BYTES, check

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 32
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


@pytest.mark.parametrize("data,mime", [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_allowed_types_are_detected_from_content(data: bytes, mime: str) -> None:
    doc = check(data)
    assert doc.mime == mime and doc.sha256 == hashlib.sha256(data).hexdigest()


def test_an_executable_is_refused_whatever_its_name() -> None:
    with pytest.raises(UnsupportedMediaType):
        check(ELF)


def test_size_cap_and_empty_file() -> None:
    with pytest.raises(PayloadTooLarge):
        check(PDF + b"0" * MAX_BYTES)
    with pytest.raises(ValidationFailed):
        check(b"")
