"""The dev broker over real HTTP and PostgreSQL: Trigger filtering, binary delivery, retries with
growing backoff, dead-lettering, durability across a restart, the PingSource timer, publish()."""

from __future__ import annotations

import itertools
import os
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from shared.events.publish import publish
from shared.runtime.broker import PING_TYPE, Broker, Delivery
from tests.integration.runtime.conftest import (
    cloud_event,
    post_event,
    probe,
    received,
    unique_type,
    wait_until,
)


def _dead_letters(event_id: str) -> list[dict]:
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True, row_factory=dict_row) as c:
        return c.execute(
            "SELECT * FROM event_dead_letters WHERE event_id = %s ORDER BY id", (event_id,)
        ).fetchall()


def _pending(event_id: str) -> int:
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM broker_deliveries WHERE event_id = %s", (event_id,)
        ).fetchone()
        return int(row[0])


def test_each_function_receives_exactly_the_types_it_subscribes_to(make_broker):
    a, b, shared = unique_type("a"), unique_type("b"), unique_type("shared")
    _, ingress = make_broker(
        [probe("rt_probe_alpha", a, shared), probe("rt_probe_beta", b, shared)]
    )
    events = {t: cloud_event(t) for t in (a, b, shared)}
    for event in events.values():
        assert post_event(ingress, event) == 202
    ids = [e["id"] for e in events.values()]
    wait_until(lambda: len(received(ids)) >= 4)
    time.sleep(0.3)  # nothing else may arrive late
    got = sorted((r["function"], r["event_type"]) for r in received(ids))
    assert got == sorted([
        ("rt_probe_alpha", a), ("rt_probe_alpha", shared),
        ("rt_probe_beta", b), ("rt_probe_beta", shared),
    ])
    assert all(_pending(i) == 0 for i in ids)


def test_delivery_is_binary_mode_with_the_original_attributes_and_data(make_broker):
    t = unique_type("binary")
    _, ingress = make_broker([probe("rt_probe_alpha", t)])
    event = cloud_event(t, {"amount": "1500000", "to": "u-2"}, subject="tx-9", gxtenant="default")
    assert post_event(ingress, event, mode="structured") == 202
    [row] = wait_until(lambda: received(event["id"]))
    attrs = row["attributes"]
    assert attrs["source"] == "/tests/runtime" and attrs["subject"] == "tx-9"
    assert attrs["gxtenant"] == "default" and attrs["specversion"] == "1.0"
    assert "knativearrivaltime" in attrs  # as a Knative broker stamps it
    assert row["data"] == {"amount": "1500000", "to": "u-2"}


def test_event_type_without_a_trigger_is_accepted_and_dropped(make_broker):
    _, ingress = make_broker([probe("rt_probe_alpha", unique_type("other"))])
    event = cloud_event(unique_type("unrouted"))
    assert post_event(ingress, event) == 202
    assert _pending(event["id"]) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"ce-specversion": "1.0", "ce-type": "t", "ce-source": "/s"},  # no id
        {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s"},  # no type
        {"ce-specversion": "1.0", "ce-id": "1", "ce-type": "t"},  # no source
        {"ce-id": "1", "ce-type": "t", "ce-source": "/s"},  # no specversion
        {"ce-specversion": "0.2", "ce-id": "1", "ce-type": "t", "ce-source": "/s"},
    ],
)
def test_ingress_rejects_an_incomplete_cloudevent_with_400(make_broker, headers):
    from urllib3 import PoolManager

    _, ingress = make_broker([])
    response = PoolManager().request(
        "POST", ingress, headers={**headers, "content-type": "application/json"}, body=b"{}"
    )
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_failing_subscriber_is_retried_with_growing_backoff_then_dead_lettered(make_broker):
    t = unique_type("failing")
    retries, delay = 3, 0.1
    _, ingress = make_broker(
        [probe("rt_probe_failing", t)], retry=retries, backoff_delay_s=delay
    )
    event = cloud_event(t, {"k": "v"})
    assert post_event(ingress, event) == 202
    [dead] = wait_until(lambda: _dead_letters(event["id"]), timeout=15)
    attempts = received(event["id"])
    assert len(attempts) == retries + 1
    gaps = [
        (later["received_at"] - earlier["received_at"]).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    # exponential: 0.1, 0.2, 0.4 s (each at least its backoff, each longer than the one before)
    for n, gap in enumerate(gaps):
        assert gap >= delay * 2**n * 0.95
    assert gaps == sorted(gaps)
    assert dead["source"] == "broker" and dead["subscriber"] == "rt_probe_failing"
    assert dead["event_type"] == t and dead["attempts"] == retries + 1
    assert dead["payload"] == {"k": "v"} and "HTTP 500" in dead["reason"]
    assert dead["headers"]["ce-id"] == event["id"]
    assert _pending(event["id"]) == 0
    time.sleep(0.5)
    assert len(received(event["id"])) == retries + 1  # nothing after the dead letter


def test_a_permanent_rejection_is_dead_lettered_without_retries(make_broker):
    t = unique_type("rejected")
    _, ingress = make_broker([probe("rt_probe_rejecting", t)], retry=4)
    event = cloud_event(t)
    assert post_event(ingress, event) == 202
    [dead] = wait_until(lambda: _dead_letters(event["id"]))
    assert dead["attempts"] == 1 and "HTTP 400" in dead["reason"]
    assert len(received(event["id"])) == 1


def test_unreachable_subscriber_counts_as_a_failed_attempt(make_broker):
    t = unique_type("unreachable")
    broker, ingress = make_broker([probe("rt_probe_alpha", t)], retry=1)
    broker.events_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    event = cloud_event(t)
    assert post_event(ingress, event) == 202
    [dead] = wait_until(lambda: _dead_letters(event["id"]))
    assert dead["attempts"] == 2 and "network error" in dead["reason"]


def test_an_accepted_event_survives_a_broker_restart(make_broker):
    t = unique_type("durable")
    specs = [probe("rt_probe_beta", t)]
    first, ingress = make_broker(specs, run=False)  # ingress only: nothing is delivered
    event = cloud_event(t)
    assert post_event(ingress, event) == 202
    first.stop()
    time.sleep(0.2)
    assert received(event["id"]) == [] and _pending(event["id"]) == 1
    make_broker(specs)  # a new broker process would find the same rows
    [row] = wait_until(lambda: received(event["id"]))
    assert row["function"] == "rt_probe_beta"
    # The row is deleted just after the subscriber's 2xx arrives: wait for it, don't race it.
    assert wait_until(lambda: _pending(event["id"]) == 0)


def test_a_new_event_is_delivered_within_milliseconds_not_a_poll_interval(make_broker):
    t = unique_type("latency")
    _, ingress = make_broker([probe("rt_probe_alpha", t)])
    time.sleep(0.3)  # workers are idle, waiting
    event = cloud_event(t)
    started = time.monotonic()
    assert post_event(ingress, event) == 202
    wait_until(lambda: received(event["id"]), every=0.005)
    assert time.monotonic() - started < 0.5


def test_a_worker_stopping_right_after_a_delivery_still_removes_it(make_broker):
    """A delivered row is deleted with the worker's next claim; a worker told to stop before
    that claim deletes it on its way out, so it is not delivered a second time later."""
    t = unique_type("stopping")
    broker, ingress = make_broker([probe("rt_probe_alpha", t)], workers=1)
    attempt = broker._attempt

    def attempt_then_stop(row, token):  # type: ignore[no-untyped-def]
        delivered = attempt(row, token)
        broker._stopping.set()
        return delivered

    broker._attempt = attempt_then_stop  # type: ignore[method-assign]
    event = cloud_event(t)
    assert post_event(ingress, event) == 202
    wait_until(lambda: received(event["id"]))
    assert wait_until(lambda: _pending(event["id"]) == 0)
    assert len(received(event["id"])) == 1


def test_expired_lease_is_redelivered(events_url):
    """A worker that died mid-delivery leaves a leased row; it is delivered once the lease ends."""
    t = unique_type("lease")
    broker = Broker(specs=[probe("rt_probe_alpha", t)], events_url=events_url,
                    delivery=Delivery(timeout_s=1.0), workers=0)
    event = cloud_event(t)
    from cloudevents.conversion import to_binary

    from shared.runtime.broker import parse_event

    headers, body = to_binary(event)
    broker.accept(parse_event(headers, body))
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as c:
        c.execute(
            "UPDATE broker_deliveries SET lease_token = gen_random_uuid(),"
            " due_at = now() + interval '1 hour' WHERE event_id = %s", (event["id"],),
        )
    assert broker.deliver_one() is False  # leased elsewhere: not claimable
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as c:
        c.execute(
            "UPDATE broker_deliveries SET due_at = now() - interval '1 second'"
            " WHERE event_id = %s", (event["id"],),
        )
    assert broker.deliver_one() is True
    assert [r["function"] for r in received(event["id"])] == ["rt_probe_alpha"]
    assert _pending(event["id"]) == 0


def test_a_restarted_dev_broker_redelivers_what_its_killed_predecessor_held(events_url):
    """`gx dev`'s broker killed mid-delivery: its successor does not wait out the lease."""
    t = unique_type("orphan")
    broker = Broker(specs=[probe("rt_probe_alpha", t)], events_url=events_url, workers=0)
    event = cloud_event(t)
    from cloudevents.conversion import to_binary

    from shared.runtime.broker import parse_event, release_orphaned_leases

    headers, body = to_binary(event)
    broker.accept(parse_event(headers, body))
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as c:
        c.execute(  # as the killed broker's worker left it, mid-delivery
            "UPDATE broker_deliveries SET lease_token = gen_random_uuid(),"
            " due_at = now() + interval '1 minute' WHERE event_id = %s", (event["id"],),
        )
    assert broker.deliver_one() is False
    assert release_orphaned_leases() >= 1
    assert broker.deliver_one() is True
    assert [r["function"] for r in received(event["id"])] == ["rt_probe_alpha"]
    assert _pending(event["id"]) == 0


def test_pingsource_timer_delivers_ping_events_to_its_function_only(make_broker, events_url):
    # A clock two tenths of a second before a minute boundary, running at real speed.
    base = datetime(2026, 1, 1, 12, 0, 59, 800_000, tzinfo=UTC)
    started = time.monotonic()
    broker = Broker(
        specs=[probe("rt_probe_ping", schedule="* * * * *"),
               probe("rt_probe_alpha", PING_TYPE)],  # a Trigger on the ping type: not its sink
        events_url=events_url, delivery=Delivery(timeout_s=5.0), workers=1,
        clock=lambda: base + timedelta(seconds=time.monotonic() - started),
    )
    broker.start()
    try:
        with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True,
                             row_factory=dict_row) as c:
            def pings():
                return c.execute(
                    "SELECT function, event_id, attributes FROM rt_probe_received"
                    " WHERE event_type = %s AND attributes->>'time' = '2026-01-01T12:01:00Z'",
                    (PING_TYPE,),
                ).fetchall()

            [row] = wait_until(pings, timeout=5)
    finally:
        broker.stop()
    assert row["function"] == "rt_probe_ping"
    assert row["attributes"]["source"] == "/apis/v1/namespaces/gx/pingsources/rt-probe-ping"


def test_publish_reaches_subscribers_through_the_ingress(make_broker):
    t = unique_type("published")
    _, ingress = make_broker([probe("rt_probe_alpha", t)])
    assert publish(t, {"commandId": "c-1"}, source="create-transfer", event_id="c-1-x", url=ingress)
    [row] = wait_until(lambda: received("c-1-x"))
    assert row["data"] == {"commandId": "c-1"}
    assert row["attributes"]["source"] == "create-transfer"


def test_publish_answers_false_when_the_broker_rejects_or_is_down(events_url):
    assert publish("x.y", {"a": 1}, source="s", url=f"{events_url}/no_such_function") is False
    started = time.monotonic()
    assert publish("x.y", {"a": 1}, source="s", url="http://127.0.0.1:9/", timeout_s=0.5) is False
    assert time.monotonic() - started < 2


def test_ingress_refuses_an_oversized_event_with_413(events_url):
    from werkzeug.test import Client

    broker = Broker(specs=[], events_url=events_url, max_body_bytes=1024, workers=0)
    response = Client(broker.wsgi_app).post(
        "/", data=b"x" * 2048,
        headers={"ce-specversion": "1.0", "ce-id": "1", "ce-type": "t", "ce-source": "/s"},
    )
    assert response.status_code == 413
