"""`gx audit verify` and `gx audit anchor`: check the audit chain, and anchor its head now.

`verify` walks `audit_log` in chain order and checks the numbering (no gaps from 1), every row's
hash, and every anchor in `GX_AUDIT_ANCHOR_BUCKET` (an anchored head missing or changed means rows
were cut off the end or the chain was rewritten). Exit status 0 when intact, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="verify or anchor the audit chain")
    actions = p.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check audit_log against its hashes and anchors")
    verify.add_argument("--no-anchors", action="store_true",
                        help="check the chain only (no S3); cut-off rows then go unnoticed")
    verify.add_argument("--json", action="store_true", help="one JSON object")
    verify.set_defaults(func=run_verify)
    anchor = actions.add_parser("anchor", help="write the chain's head to the anchor bucket now")
    anchor.set_defaults(func=run_anchor)


def run_verify(args: argparse.Namespace) -> int:
    from shared import audit, db

    with db.connection() as conn:
        result = audit.verify(conn) if args.no_anchors else audit.verify_anchored(conn)
    if args.json:
        print(json.dumps(result.as_json(), sort_keys=True))
    else:
        head = f"seq {result.head.seq}" if result.head else "empty"
        print(f"{'OK' if result.ok else 'BROKEN'}: {result.rows} rows ({head}),"
              f" {result.anchors} anchors checked")
        for problem in result.problems:
            print(f"  {problem}")
    return 0 if result.ok else 1


def run_anchor(args: argparse.Namespace) -> int:
    from shared import audit, db

    with db.connection() as conn:
        anchored = audit.anchor(conn)
    print(f"anchored seq {anchored.seq} ({anchored.event_hash})" if anchored else "no audit rows")
    return 0
