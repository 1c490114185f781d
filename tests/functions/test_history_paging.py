"""A wallet with 10,000 history entries pages by cursor, both ways, with no gap or duplicate.

The entries are written as the projector writes them (rows of rm_account_entries at increasing
chain positions, several entries sharing a transaction); pages are read through the
list_transactions function as a client would, 100 at a time.
"""

from __future__ import annotations

import statistics
import time
import uuid

from shared import db
from shared.identity.service import create_account
from tests.helpers import bearer, client_for

N = 10_000


def _wallet_with_history() -> tuple[str, str]:
    profile = create_account(email=f"hist-{uuid.uuid4().hex[:8]}@example.org",
                             password="Hist0ryPassword", role="USER", first_name="H",
                             last_name="Story")
    account = f"NG HIS {uuid.uuid4().hex[:6].upper()} 0ABCD 1234"
    with db.transaction() as conn:
        conn.execute("UPDATE user_profiles SET fabric_user_id = %s WHERE profile_id = %s",
                     (account, profile["profile_id"]))
        conn.execute("INSERT INTO rm_accounts (account_id, balance) VALUES (%s, 0)", (account,))
        # Two entries per transaction at each chain position (a SENT line and a FEE line), as
        # a transfer projects them: ties on (block, tx index) must still page exactly.
        conn.execute(
            "INSERT INTO rm_account_entries (tx_id, account_id, kind, counterparty, amount, fee,"
            " remark, block_number, tx_index, occurred_at)"
            " SELECT md5(i::text), %s, k, 'SOMEONE', -i, i %% 7, 'r', i / 3, i %% 3,"
            "        now() - make_interval(secs => %s - i)"
            " FROM generate_series(1, %s) AS i, (VALUES ('SENT'), ('FEE')) AS kinds(k)",
            (account, N, N // 2),
        )
    return str(profile["profile_id"]), account


def test_ten_thousand_entries_page_without_gaps_or_duplicates() -> None:
    profile_id, _ = _wallet_with_history()
    client, headers = client_for("list_transactions"), bearer(profile_id)
    path = f"/api/v1/wallets/{profile_id}/transactions"

    seen: list[str] = []
    timings: list[float] = []
    cursor = None
    while True:
        query = {"limit": 100, **({"after": cursor} if cursor else {})}
        started = time.perf_counter()
        resp = client.get(path, query_string=query, headers=headers)
        timings.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()
        seen += [t["entryId"] for t in page["transactions"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == N and len(set(seen)) == N
    positions = db.fetch_all(
        "SELECT entry_id::text AS id FROM rm_account_entries WHERE entry_id = ANY(%s::bigint[])"
        " ORDER BY block_number DESC, tx_index DESC, entry_id DESC", (seen,))
    assert [r["id"] for r in positions] == seen  # newest first, in chain order

    # From the oldest page back to the newest with the `before` cursors.
    def get(**query: object) -> dict:  # type: ignore[type-arg]
        return client.get(path, query_string={"limit": 100, **query}, headers=headers).get_json()

    page = get()
    while page["nextCursor"]:
        page = get(after=page["nextCursor"])
    back = [t["entryId"] for t in page["transactions"]]
    while page["prevCursor"]:
        page = get(before=page["prevCursor"])
        back = [t["entryId"] for t in page["transactions"]] + back
    assert back == seen
    timings.sort()
    print(f"\nhistory page of 100 (10,000 entries): p50 {statistics.median(timings) * 1000:.1f} ms,"
          f" p95 {timings[int(len(timings) * 0.95)] * 1000:.1f} ms")
