"""No public route shows anyone's money, contact data or on-chain id.

Two views of the same rule, both generated from the registry:
- from the reply models: every field a public route can return whose name says money, contact
  data or a person's on-chain id carries a declared audience (`shared.api.visible_to`), and
  unless that declaration names the public (a system account's balance, the caller's own echoed
  amount) it is left out for anonymous callers;
- from real data: with users, an organization, a multisig transfer, a loan and a vote in the read
  models, every public GET route is called anonymously and as an unrelated user, and no reply
  carries any of those people's emails, phones, birth dates, on-chain ids or amounts.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from knative.registry import http_functions
from knative.spec import FunctionSpec, resolve
from shared import api, db
from tests.functions.organization import world
from tests.helpers import client_for

#: Field names that say money, contact data or a person's (on-chain) identity.
SENSITIVE = re.compile(
    r"(?i)(balance|amount|email|phone|birth|identityNum|gender|stakeholders|approver"
    r"|approvals|endorsements|fabricUserId|(user|proposer|initiator|to|from|borrower|voter|owner"
    r"|member|account)Ids?$)")

PUBLIC_ROUTES = [s for s in http_functions() if s.auth == "public"]


def _sensitive_fields(model: type[BaseModel], path: str = "") -> list[tuple[str, Any]]:
    """(path, declared audiences) of every sensitive field reachable by the public."""
    found = []
    for name, info in model.model_fields.items():
        alias = info.alias or name
        audiences = api.field_audiences(info)
        if audiences is not None and api.PUBLIC not in audiences:
            continue  # left out for the public, and everything under it
        nested, _ = api._nested_model(info.annotation)
        if nested is not None:
            found += _sensitive_fields(nested, f"{path}{alias}.")
        elif SENSITIVE.search(alias):
            found.append((f"{path}{alias}", audiences))
    return found


@pytest.mark.parametrize("spec", [s for s in PUBLIC_ROUTES if s.response_model],
                         ids=lambda s: s.name)
def test_every_sensitive_field_of_a_public_reply_has_a_declared_audience(
        spec: FunctionSpec) -> None:
    undeclared = [path for path, audiences in _sensitive_fields(resolve(spec.response_model))
                  if audiences is None]
    assert not undeclared, (
        f"{spec.name} can show {undeclared} to anyone: declare who may see each field with "
        "shared.api.visible_to (owner, stakeholder, staff, or public for a system account)")


def test_a_restricted_field_is_left_out_for_the_public_and_kept_for_its_audience() -> None:
    from shared.organization.schemas import OrganizationReply

    reply = OrganizationReply.model_validate({"organization": {
        "orgId": "ORG_x", "orgName": "X", "accountType": "BUSINESS", "status": "Verified",
        "balance": "5", "stakeholders": ["a"], "rules": [{"amountThreshold": 1,
                                                           "requiredApprovers": 1,
                                                           "approverGroup": ["a"]}]}})
    public = reply.model_dump(by_alias=True, exclude=api.hidden_fields(
        OrganizationReply, frozenset({api.PUBLIC})))
    assert set(public["organization"]) == {"orgId", "orgName", "accountType", "status"}
    members = reply.model_dump(by_alias=True, exclude=api.hidden_fields(
        OrganizationReply, frozenset({api.PUBLIC, api.STAKEHOLDER})))
    assert members["organization"]["balance"] == "5"


# --- with real data -----------------------------------------------------------------------------

def _odd_amount() -> int:
    return 7_000_000_000 + secrets.randbelow(10**9)  # a value nothing else in the run has


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    a = world.user(balance=_odd_amount())
    b = world.user(balance=_odd_amount())
    staff = world.user(role="ADMIN", chain_admin=True)
    for person in (a, b):
        db.execute("UPDATE user_profiles SET phone_num = %s, date_of_birth = %s"
                   " WHERE profile_id = %s",
                   (f"+23480{secrets.randbelow(10**8):08d}", "1987-06-05", person.profile_id))
    org_balance, tx_amount, loan_amount = _odd_amount(), _odd_amount(), _odd_amount()
    org = world.organization([a, b], endorsed=[a, b], status="Verified", balance=org_balance,
                             rules=[{"amountThreshold": _odd_amount(), "requiredApprovers": 2,
                                     "approverGroup": [a.chain_id, b.chain_id]}])
    tx = world.multisig(org, to_id=b.chain_id, amount=tx_amount, group=[a, b], required=2,
                        approvals=[a])
    world.loan(a, amount=loan_amount)
    proposal = world.proposal(end_time=datetime.now(UTC) + timedelta(days=3))
    db.execute("UPDATE rm_proposals SET proposer_id = %s WHERE proposal_id = %s",
               (staff.chain_id, proposal))
    world.voted(proposal, a, True)
    # Public totals (supply by owner type, pools) are sums: with one account of a kind the sum
    # would be that account's balance, so each kind here has another account beside it.
    world.user(balance=_odd_amount())
    world.organization([a, b], balance=_odd_amount())
    secrets_of = []
    for person in (a, b, staff):
        row = db.fetch_one("SELECT email, phone_num, date_of_birth::text AS dob, fabric_user_id"
                           " FROM user_profiles WHERE profile_id = %s", (person.profile_id,))
        assert row is not None
        secrets_of += [v for v in row.values() if v]
    balances = db.fetch_all("SELECT balance::text AS b FROM rm_accounts WHERE account_id = ANY(%s)",
                            ([a.chain_id, b.chain_id, org],))
    secrets_of += [r["b"] for r in balances]
    secrets_of += [str(org_balance), str(tx_amount), str(loan_amount)]
    params = {"orgId": org, "proposalId": proposal, "countryCode": "NG",
              "paramId": "maxLoanDurationDays", "pendingTxId": tx, "accountId": a.chain_id}
    return {"secrets": secrets_of, "params": params}


@pytest.mark.parametrize("spec", [s for s in PUBLIC_ROUTES if s.method == "GET"],
                         ids=lambda s: s.name)
def test_no_public_route_shows_someone_elses_money_contact_or_id(
        spec: FunctionSpec, people: dict[str, Any]) -> None:
    params = people["params"]
    missing = [p for p in spec.path_params if p not in params]
    assert not missing, f"give the exposure test a real value for {missing} ({spec.name})"
    path = spec.path or ""
    for name in spec.path_params:
        path = path.replace("{" + name + "}", params[name])
    outsider = world.user()
    for headers in ({}, outsider.headers):
        resp = client_for(spec.name).get(path, headers=headers)
        assert resp.status_code < 500, resp.get_data(as_text=True)
        body = resp.get_data(as_text=True)
        shown = [s for s in people["secrets"] if s in body]
        assert not shown, f"{spec.name} shows {shown} to {'an outsider' if headers else 'anyone'}"
