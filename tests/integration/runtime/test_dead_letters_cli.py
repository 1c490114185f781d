"""`gx dead-letters list` shows what the broker dead-lettered."""

from __future__ import annotations

import json
import secrets

from shared import db
from shared.cli import main
from shared.events import deadletters


def test_list_shows_broker_dead_letters(capsys):
    event_id = f"cli-{secrets.token_hex(4)}"
    with db.transaction() as conn:
        deadletters.record(
            conn, source="broker", reason="delivery to rt_probe_failing failed after 6 attempt(s)",
            subscriber="rt_probe_failing", event_id=event_id, event_type="org.gxcoin.t.v1",
            attributes={"ce-id": event_id}, payload={"a": 1}, attempts=6,
        )
    assert main(["dead-letters", "list", "--source", "broker", "--json", "--limit", "500"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [row] = [r for r in rows if r["event_id"] == event_id]
    assert row["subscriber"] == "rt_probe_failing" and row["attempts"] == 6
    assert row["status"] == "DEAD"

    assert main(["dead-letters", "list", "--source", "broker"]) == 0
    table = capsys.readouterr().out
    assert event_id in table and "failed after 6 attempt(s)" in table

    assert main(["dead-letters", "list", "--source", "projector", "--json"]) == 0
    assert event_id not in capsys.readouterr().out
