"""Opaque keyset cursors: `encode(created_at, id)` -> URL-safe text, `decode` -> the values back.

Pages are keyset ("seek") pages ordered by a unique key, so a page never repeats or skips a row
while rows are added, unlike OFFSET pages. Clients treat cursors as opaque.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.errors import ValidationFailed


def encode(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, size: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [str(v) for v in values]
    except ValueError:
        raise ValidationFailed(
            "invalid cursor", errors=[{"field": "cursor", "message": "malformed", "type": "cursor"}]
        ) from None
