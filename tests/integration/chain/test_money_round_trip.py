"""Every amount survives the whole path unchanged, parsed by the one money parser at each step:
API body -> outbox payload (JSON) -> chain arguments -> the embedded ledger -> its event (the
CloudEvent boundary, validated against the event's schema) -> the projection's balance legs.

The parser's own edges (no JSON numbers at the API, the one maximum, digit strings longer than
Python converts) are unit tests below; the round trip runs on a real ledger and read model.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared import db
from shared.chain.catalogue import commands
from shared.domain import money
from shared.events.cloudevent import from_chain, from_http_request, parse, to_http
from shared.readmodels.projections import transfer_with_fees
from shared.tokenomics.schemas import TransferIn
from tests.integration.chain.support import ADMIN, Chain

FUNDS = 10**15  # a billion GX: the sender can afford any amount drawn
AMOUNTS = st.one_of(st.sampled_from([1, 2, 999_999, 1_000_000, 1_000_001]),
                    st.integers(1, FUNDS // 2))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(amount=AMOUNTS)
def test_an_amount_is_the_same_from_the_api_to_the_read_model(booted: Chain, amount: int) -> None:
    sender, receiver = _parties(booted)
    body = TransferIn.model_validate({"toUserId": receiver, "amount": money.to_wire(amount)})
    # As the transfer service writes the outbox row (a JSON document in PostgreSQL).
    stored = json.loads(json.dumps({
        "fromUserId": sender, "toUserId": receiver, "amount": str(body.amount),
        "remark": "round trip", "txTypeHint": "", "idempotencyKey": str(uuid.uuid4())}))
    contract, function, args, identity = commands()["TRANSFER_TOKENS"].to_call(stored)
    committed = booted.call(contract, function, *args, identity=identity)
    assert committed.event is not None
    headers, raw = to_http(from_chain(committed.event, channel="gx", chaincode="gx"))
    record = parse(from_http_request(headers, raw))  # validated against the event's schema
    p = record.payload
    assert p["amount"] == amount and p["netReceived"] + p["receiverFee"] == amount
    with db.transaction() as conn:
        before = _balance(conn, receiver)
        transfer_with_fees(conn, record)
        assert _balance(conn, receiver) - before == p["netReceived"]
        raise psycopg.Rollback()  # the read model of this test's database stays as it was


def _parties(chain: Chain) -> tuple[str, str]:
    found = getattr(chain, "_round_trip", None)
    if found is None:
        sender, receiver = chain.create_user(), chain.create_user()
        chain.call("TokenomicsContract", "TransferInternal", "SYSTEM_GX_POOL", sender, FUNDS,
                   "SYSTEM_ADJUSTMENT", "test funding", identity=ADMIN)
        found = chain._round_trip = (sender, receiver)  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def _balance(conn: object, account: str) -> int:
    row = conn.execute("SELECT balance FROM rm_accounts WHERE account_id = %s",  # type: ignore[attr-defined]
                       (account,)).fetchone()
    return int(row["balance"]) if row else 0


# --- the parser's edges -------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [10, 10.0, 1e6])
def test_a_json_number_is_refused_with_how_to_write_the_amount(sent: object) -> None:
    with pytest.raises(ValidationError) as refused:
        TransferIn.model_validate({"toUserId": "x", "amount": sent})
    message = refused.value.errors()[0]["msg"]
    assert "string of digits" in message and '"10000000" for 10 GX' in message


@pytest.mark.parametrize("sent", ["0", "-1", "1.5", " 1", "1e3", "١٢", "9" * 5001,
                                  str(money.MAX_QIRAT + 1), True])
def test_what_is_not_an_amount_is_refused_everywhere(sent: object) -> None:
    with pytest.raises(ValidationError):
        TransferIn.model_validate({"toUserId": "x", "amount": sent})
    with pytest.raises(money.AmountError):
        money.parse(sent)


@given(st.integers(1, money.MAX_QIRAT))
def test_every_valid_amount_parses_to_itself_at_each_layer(amount: int) -> None:
    wire = money.to_wire(amount)
    assert money.parse(wire, strings_only=True) == amount == money.parse(amount)
    assert TransferIn.model_validate({"toUserId": "x", "amount": wire}).amount == amount
    payload = {"fromUserId": "a", "toUserId": "b", "amount": wire, "remark": "",
               "txTypeHint": "", "idempotencyKey": "k"}
    _, _, args, _ = commands()["TRANSFER_TOKENS"].to_call(payload)
    from shared.chain.embedded.framework import arg_amount

    assert arg_amount(args[2]) == amount


def test_in_coins_is_exact() -> None:
    assert money.in_coins(money.MAX_QIRAT) == "9223372036854.775807"
    assert money.in_coins(1) == "0.000001"
