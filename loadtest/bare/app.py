"""`gunicorn loadtest.bare.app:app`: the bare function's functions-framework app.

Built lazily on the first request in each worker (as the gateway builds its function apps), so
nothing is shared across gunicorn's fork.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_SOURCE = Path(__file__).resolve().parent / "bare_hello.py"
_lock = threading.Lock()
_app: Any = None


def _build() -> Any:
    global _app
    with _lock:
        if _app is None:
            from functions_framework import create_app

            _app = create_app("bare_hello", str(_SOURCE), "http")  # type: ignore[no-untyped-call]
    return _app


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    return (_app or _build())(environ, start_response)  # type: ignore[no-any-return]


def post_worker_init(worker: Any) -> None:
    """gunicorn hook (`-c python:loadtest.bare.app`): build the app before the first request and
    freeze the heap, as the system's workers do (served the same way)."""
    from shared.runtime.heap import freeze_startup_heap

    _build()
    freeze_startup_heap()
