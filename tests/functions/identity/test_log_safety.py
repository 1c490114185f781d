"""What a run writes to its logs never carries a password, a password hash, a token, a key or a
database row: the log pipeline redacts them whatever code logs them.

The run drives the paths that used to leak (an integrity error whose DETAIL dumps the row, failed
logins, token refreshes and reuse) through the real functions, and one unhandled database error on
a real connection, capturing everything written to stdout and stderr at the file descriptor.
"""

from __future__ import annotations

import flask
import psycopg
import pytest

from knative.registry import get_spec
from shared import db
from shared.config import get_settings
from shared.http import handle
from shared.observability import redact
from tests.functions.identity.conftest import PASSWORD, Api


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _secrets_of(user: dict[str, str]) -> list[str]:
    row = db.fetch_one("SELECT password_hash, email, date_of_birth::text AS dob"
                       " FROM user_profiles WHERE profile_id = %s", (user["profileId"],))
    assert row is not None and row["password_hash"].startswith("$argon2")
    return [row["password_hash"], row["password_hash"].split("$")[-1], row["email"], row["dob"]]


def test_a_run_of_failures_logs_no_secret_and_no_row(api: Api,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    user = api.register()
    tokens = api.login(user["email"]).get_json()
    leaks = [PASSWORD, tokens["accessToken"], tokens["refreshToken"], *_secrets_of(user)]
    settings = get_settings()
    leaks += [line for line in (settings.jwt_private_key or "").splitlines() if len(line) > 20]

    # Failed logins, a wrong and an unknown address.
    assert api.login(user["email"], "Wr0ngPassword!").status_code == 401
    assert api.login("nobody-at-all@example.org", PASSWORD).status_code == 401
    # Refresh (rotation), then reuse of the rotated token (revokes the session).
    refreshed = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                         json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    leaks += [refreshed.get_json()["accessToken"], refreshed.get_json()["refreshToken"]]
    reused = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                      json={"refreshToken": tokens["refreshToken"]})
    assert reused.status_code == 401
    # null for a required column: refused before the database (it was a 500 dumping the row).
    nulled = api.call("update_user", "PATCH", f"/api/v1/users/{user['profileId']}",
                      json={"firstName": None}, headers=auth(refreshed.get_json()["accessToken"]))
    assert nulled.status_code == 422

    # And an integrity error no check catches, raised by a handler on a real connection: the
    # unhandled-error path logs the traceback, whose psycopg message carries the row.
    def failing(_call: object) -> None:
        db.fetch_one("UPDATE user_profiles SET first_name = NULL WHERE profile_id = %s",
                     (user["profileId"],))

    spec = get_spec("get_counters")
    with flask.Flask(__name__).test_request_context("/api/v1/counters"):
        resp = handle(spec, failing, flask.request)
    assert resp.status_code == 500
    assert user["email"] not in resp.get_data(as_text=True)

    out, err = capsys.readouterr()
    logged = out + err
    assert "request.unhandled" in logged  # the failure itself is logged ...
    assert "not-null constraint" in logged  # ... with what went wrong
    for secret in leaks:
        assert secret not in logged, f"leaked into the logs: {secret[:12]}..."
    assert "Failing row contains (" not in logged


@pytest.mark.parametrize("text, secret", [
    ('DETAIL:  Failing row contains (1, a@b.org, $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA).',
     "a@b.org"),
    ("duplicate key value\nDETAIL:  Key (email)=(a@b.org) already exists.", "a@b.org"),
    ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
    ("token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln", "eyJzdWIiOiJ4In0"),
    ("postgresql://gx:s3cr3t-pw@db:5432/gx", "s3cr3t-pw"),
    ('{"password": "hunter22", "x": 1}', "hunter22"),
    ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----", "MC4CAQAw"),
])
def test_redaction_removes_each_secret_shape(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redaction_keeps_what_an_operator_needs() -> None:
    line = 'null value in column "first_name" of relation "user_profiles" violates not-null'
    assert redact(line) == line
    assert psycopg.errors.NotNullViolation.__name__ in redact("psycopg.errors.NotNullViolation: x")
