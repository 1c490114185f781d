"""The benchmark's baseline: a functions-framework HTTP function that only says hello.

Served by `gx bench` exactly as the system's functions are (gunicorn gthread, the same workers x
threads, `create_app` per worker), so every endpoint's req/s can be given as a ratio to it.
"""

import flask
import functions_framework


@functions_framework.http
def bare_hello(request: flask.Request) -> tuple[str, int, dict[str, str]]:
    return '{"hello":"world"}', 200, {"Content-Type": "application/json"}
