"""Test harness for the read path: a private migrated database, a private embedded ledger,
random valid chain histories, delivery of chain events to the projector functions through
functions-framework (as the broker would), a real HTTP sink that routes by type (as the broker's
Triggers do), and a snapshot of every read model for comparisons."""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import psycopg
from psycopg import sql
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shared.chain.embedded.ledger import EmbeddedLedger
from shared.chain.port import ChainEvent, ServiceIdentity, Submission
from shared.config import reset_settings
from shared.events.cloudevent import CloudEvent, from_chain, to_http
from tests.helpers import client_for

SA, ADMIN = ServiceIdentity.SUPER_ADMIN, ServiceIdentity.ADMIN


@contextmanager
def private_database() -> Iterator[str]:
    """A fresh migrated database that GX_DATABASE_URL points at for the duration."""
    from shared.db import close_pools
    from shared.migrate import migrate

    base = os.environ["GX_TEST_BASE_DATABASE_URL"]
    name = f"{os.environ['GX_TEST_DATABASE_NAME']}_{secrets.token_hex(3)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(base)
    info["dbname"] = name
    url = psycopg.conninfo.make_conninfo(**info)
    migrate(url)
    previous = os.environ["GX_DATABASE_URL"]
    os.environ["GX_DATABASE_URL"] = url
    reset_settings()
    try:
        yield url
    finally:
        os.environ["GX_DATABASE_URL"] = previous
        reset_settings()
        close_pools()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Clock:
    """Block timestamps that advance one minute per block (deterministic, never backwards)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def new_ledger(dsn: str) -> EmbeddedLedger:
    return EmbeddedLedger(dsn, f"ledger_{secrets.token_hex(4)}", clock=Clock())


def _sub(contract: str, function: str, args: list[str], identity: ServiceIdentity) -> Submission:
    return Submission(contract, function, [str(a) for a in args], secrets.token_hex(16), identity)


def build_history(ledger: EmbeddedLedger, rng: random.Random, *, users: int, operations: int,
                  batch: int = 4, extended: bool = True) -> list[str]:
    """A random valid history: bootstrap, countries, users with genesis, then random operations
    (and, when `extended`, relationships, a loan, an organization with multisig transfers and
    governance); several transactions per block. Returns the user ids.
    Rejected transactions (e.g. insufficient funds) simply leave no event, as on Fabric."""
    ledger.submit(_sub("AdminContract", "BootstrapSystem", [], SA))
    countries = [{"countryCode": "NG", "percentage": "0.02"}, {"countryCode": "KE", "percentage": "0.01"}]
    ledger.submit(_sub("AdminContract", "InitializeCountryData", [json.dumps(countries)], SA))
    ledger.submit(_sub("AdminContract", "ActivateTreasuryAccount", ["NG"], ADMIN))
    ids = [f"user_{secrets.token_hex(4)}" for _ in range(users)]
    creates = []
    for uid in ids:
        bio = hashlib.sha256(uid.encode()).hexdigest()
        age = rng.choice([10, 20, 35, 50, 70, 80])
        creates.append(_sub("IdentityContract", "CreateUser",
                            [uid, bio, rng.choice(["NG", "KE"]), str(age)], SA))
    ledger.submit_batch(creates)
    nationality = {s.args[0]: s.args[2] for s in creates}
    ledger.submit_batch([_sub("TokenomicsContract", "DistributeGenesis", [u, nationality[u]], ADMIN)
                         for u in ids])
    ledger.submit(_sub("TokenomicsContract", "TransferInternal",
                       ["SYSTEM_GX_POOL", ids[0], "5000000000", "SYSTEM_ADJUSTMENT", "seed funds"], ADMIN))
    random_operations(ledger, ids, rng, operations=operations, batch=batch)
    if extended:
        _society(ledger, ids, rng)
    return ids


def random_operations(ledger: EmbeddedLedger, ids: list[str], rng: random.Random, *,
                      operations: int, batch: int = 4, pace_s: float = 0.0) -> None:
    """Transfers, system transfers, freezes, parameter updates, pauses and treasury activations
    between existing users, `batch` transactions per block, `pace_s` seconds between blocks."""
    paused = False
    pending: list[Submission] = []
    for _ in range(operations):
        roll = rng.random()
        a, b = rng.sample(ids, 2)
        if paused:
            pending.append(_sub("AdminContract", "ResumeSystem", [], SA))
            paused = False
        elif roll < 0.6:
            amount = rng.choice([1, 999, 150_000, 2_000_000, 75_000_000, 900_000_000])
            pending.append(_sub("TokenomicsContract", "TransferWithFees",
                                [a, b, str(amount), "", f"t{rng.randrange(10**6)}", ""], ADMIN))
        elif roll < 0.7:
            pending.append(_sub("TokenomicsContract", "TransferInternal",
                                ["SYSTEM_GX_POOL", a, str(rng.randrange(1, 10**9)),
                                 "SYSTEM_ADJUSTMENT", "adjustment"], ADMIN))
        elif roll < 0.8:
            pending.append(_sub("TokenomicsContract", "FreezeWallet", [a, "review"], SA))
            pending.append(_sub("TokenomicsContract", "UnfreezeWallet", [a], SA))
        elif roll < 0.88:
            pending.append(_sub("AdminContract", "UpdateSystemParameter",
                                ["votingPeriodDays", str(rng.randrange(7, 30))], ADMIN))
        elif roll < 0.93:
            pending.append(_sub("AdminContract", "PauseSystem", ["maintenance"], SA))
            paused = True
        else:
            pending.append(_sub("AdminContract", "ActivateTreasuryAccount", ["KE"], ADMIN))
        if len(pending) >= batch:
            ledger.submit_batch(pending)
            pending = []
            time.sleep(pace_s)
    if pending:
        ledger.submit_batch(pending)
    if paused:
        ledger.submit(_sub("AdminContract", "ResumeSystem", [], SA))


PARTNER = ServiceIdentity.PARTNER_API


def _ok(ledger: EmbeddedLedger, sub: Submission) -> Any:
    return ledger.submit(sub).result


def _society(ledger: EmbeddedLedger, ids: list[str], rng: random.Random) -> None:
    """Relationships (raising one user's trust to 80), a loan applied, approved and repaid, an
    organization with a 2-of-2 rule and one executed and one failed multisig transfer, and two
    proposals (one executed, one failed)."""
    u0, u1, u2, u3 = ids[:4]
    rels = []
    for other, kind in ((u1, "CHILD_OF"), (u2, "SPOUSE_OF"), (u3, "SIBLING_OF")):
        rels.append((_ok(ledger, _sub("IdentityContract", "RequestRelationship", [u0, other, kind], PARTNER)),
                     other))
    ledger.submit_batch([_sub("IdentityContract", "ConfirmRelationship", [r["relationshipID"], o], PARTNER)
                         for r, o in rels])
    friend = _ok(ledger, _sub("IdentityContract", "RequestRelationship", [u1, u2, "FRIEND_OF"], PARTNER))
    ledger.submit(_sub("IdentityContract", "RejectRelationship", [friend["relationshipID"], u2], PARTNER))

    loan = _ok(ledger, _sub("LoanPoolContract", "ApplyForLoan",
                            [u0, str(100_000_000 * rng.randint(1, 3)), "ab" * 32], PARTNER))
    ledger.submit(_sub("LoanPoolContract", "ApproveLoan", [loan["loanID"]], ADMIN))
    ledger.submit(_sub("LoanPoolContract", "RepayLoan", [loan["loanID"], u0], PARTNER))

    org = f"org_{secrets.token_hex(3)}"
    ledger.submit(_sub("OrganizationContract", "ProposeOrganization",
                       [org, "Acme", "BUSINESS", json.dumps([u0, u1]), u0], PARTNER))
    ledger.submit_batch([_sub("OrganizationContract", "EndorseMembership", [org, u], PARTNER)
                         for u in (u0, u1)])
    ledger.submit(_sub("OrganizationContract", "ActivateOrganization", [org, u0], PARTNER))
    ledger.submit(_sub("OrganizationContract", "DefineAuthRule",
                       [org, json.dumps({"amountThreshold": 0, "requiredApprovers": 2,
                                         "approverGroup": [u0, u1]}), u0], PARTNER))
    ledger.submit(_sub("TokenomicsContract", "TransferInternal",
                       ["SYSTEM_GX_POOL", org, "80000000", "SYSTEM_ADJUSTMENT", "org funds"], ADMIN))
    for amount in (rng.choice([1_000_000, 20_000_000]), 10**15):
        pending = _ok(ledger, _sub("OrganizationContract", "InitiateMultiSigTx",
                                   [org, u2, str(amount), "pay", u0], PARTNER))
        ledger.submit(_sub("OrganizationContract", "ApproveMultiSigTx",
                           [pending["pendingTxID"], u1], PARTNER))

    yes = _ok(ledger, _sub("GovernanceContract", "SubmitProposal",
                           ["votingPeriodDays", str(rng.randint(15, 20)), u0], ADMIN))
    no = _ok(ledger, _sub("GovernanceContract", "SubmitProposal", ["minProposalQuorum", "5", u1], ADMIN))
    ledger.submit_batch([
        _sub("GovernanceContract", "VoteOnProposal", [yes["proposalID"], u, "true"], PARTNER)
        for u in (u0, u1, u2)
    ] + [_sub("GovernanceContract", "VoteOnProposal", [no["proposalID"], u, "false"], PARTNER)
         for u in (u0, u3)])
    ledger.clock.now += timedelta(days=40)  # type: ignore[attr-defined]
    ledger.submit_batch([_sub("GovernanceContract", "ExecuteProposal", [p["proposalID"]], ADMIN)
                         for p in (yes, no)])


def all_events(ledger: EmbeddedLedger) -> list[ChainEvent]:
    out: list[ChainEvent] = []
    after = None
    while True:
        chunk = list(ledger.events(after=after, limit=500))
        if not chunk:
            return out
        out.extend(chunk)
        after = chunk[-1].position


def cloud_event(event: ChainEvent) -> CloudEvent:
    return from_chain(event, channel="gxchannel", chaincode="gxtv3")


def _routes() -> dict[str, str]:
    from knative.registry import event_functions

    return {t: s.name for s in event_functions() if s.service == "projector" for t in s.event_types}


_ROUTES: dict[str, str] = {}


def function_for(event_type: str) -> str:
    if not _ROUTES:
        _ROUTES.update(_routes())
    return _ROUTES[event_type]


def post(headers: dict[str, str], body: bytes, event_type: str) -> int:
    """POST one CloudEvent to its projector function, as a Trigger would; the HTTP status."""
    resp = client_for(function_for(event_type)).post("/", headers=headers, data=body)
    return int(resp.status_code)


def deliver(event: CloudEvent, *, structured: bool = False) -> int:
    headers, body = to_http(event, structured=structured)
    return post(headers, body, str(event["type"]))


class ProjectorSink:
    """A real HTTP endpoint playing the broker: routes each CloudEvent by type to its projector
    function and answers with the function's status (so the sender's ack means "projected")."""

    def __init__(self) -> None:
        self.received = 0
        self.fail_next = 0  # answer 503 to this many requests (a broker outage)
        self.hold = False  # accept (202) and queue, as a broker that has not delivered yet
        self.refuse_types: set[str] = set()  # answer 400: the broker refuses these events
        self.unavailable_types: set[str] = set()  # answer 503 to these, as long as they are set
        self.held: list[tuple[dict[str, str], bytes, str]] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.received += 1
            if self.fail_next:
                self.fail_next -= 1
                return Response("unavailable", 503)(environ, start_response)
        headers = {k: v for k, v in request.headers.items()}
        body = request.get_data()
        event_type = headers.get("Ce-Type") or json.loads(body or b"{}").get("type", "")
        if event_type in self.refuse_types:
            return Response("malformed", 400)(environ, start_response)
        if event_type in self.unavailable_types:
            return Response("unavailable", 503)(environ, start_response)
        if self.hold:
            with self._lock:
                self.held.append((headers, body, event_type))
            return Response(status=202)(environ, start_response)
        try:
            status = post(headers, body, event_type)
        except KeyError:
            status = 404
        return Response(status=status)(environ, start_response)

    def release(self, count: int | None = None) -> None:
        """Deliver what was held (the first `count` in stream order, or all). The listener sends
        several events at once, so they arrive in any order; the stream order is in their
        `blocknumber` and `txindex` attributes."""
        def position(item: tuple[dict[str, str], bytes, str]) -> tuple[int, int]:
            lower = {k.lower(): v for k, v in item[0].items()}
            return int(lower["ce-blocknumber"]), int(lower["ce-txindex"])

        count = len(self.held) if count is None else count
        self.held.sort(key=position)
        held, self.held = self.held[:count], self.held[count:]
        for headers, body, event_type in held:
            assert post(headers, body, event_type) < 300

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()


# Columns whose value depends on when (not in what order) a row was written.
_VOLATILE = {"entry_id", "updated_at", "processed_at", "projected_at"}
READ_MODELS = (
    "rm_accounts", "rm_account_entries", "rm_chain_users", "rm_system_status",
    "system_parameters", "rm_treasuries", "rm_country_stats", "rm_genesis_distributions",
    "rm_treasury_allocations", "rm_chain_admins", "rm_organizations", "rm_multisig_transactions",
    "rm_multisig_approvals", "rm_loans", "rm_proposals", "rm_proposal_votes", "rm_relationships",
)


#: The parameter table also holds the seeded defaults: what the events decide is the chain's rows.
_CHAIN_PARAMETERS = ("SELECT tenant_id, param_key, param_value, updated_in_block, chain_tx_index,"
                     " chain_updated_at FROM {} WHERE source = 'chain'")


def snapshot(dsn: str) -> dict[str, list[str]]:
    """Every read-model row (minus volatile columns), sorted: equal snapshots = equal models."""
    out: dict[str, list[str]] = {}
    with psycopg.connect(dsn, row_factory=psycopg.rows.dict_row) as conn:
        for table in READ_MODELS:
            query = sql.SQL(_CHAIN_PARAMETERS if table == "system_parameters" else "SELECT * FROM {}")
            rows = conn.execute(query.format(sql.Identifier(table))).fetchall()
            out[table] = sorted(
                json.dumps({k: v for k, v in r.items() if k not in _VOLATILE}, sort_keys=True, default=str)
                for r in rows
            )
    return out


def reset_read_models(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {}, processed_events, projected_events, published_events,"
                    " chain_checkpoints, chain_heights, event_dead_letters").format(
                sql.SQL(", ").join(map(sql.Identifier, READ_MODELS))
            )
        )


def ledger_balances(ledger: EmbeddedLedger, account_ids: list[str]) -> dict[str, int]:
    return {a: int(ledger.evaluate("TokenomicsContract", "GetBalance", [a])) for a in account_ids}
