"""`gx dead-letters list`: the events that could not be delivered or projected, newest first."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("dead-letters", help="inspect event_dead_letters")
    actions = p.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="list dead letters, newest first")
    ls.add_argument("--source", choices=("broker", "chain-listener", "projector"), default=None)
    ls.add_argument(
        "--status", choices=("DEAD", "REPLAYED", "all"), default="DEAD",
        help="DEAD (default), REPLAYED or all",
    )
    ls.add_argument("--limit", type=int, default=50, help="rows per page (1-500)")
    ls.add_argument("--before", type=int, default=None, metavar="ID", help="older than this id")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    from shared.config import get_settings
    from shared.events.deadletters import list_page

    if not 1 <= args.limit <= 500:
        print("--limit must be between 1 and 500")
        return 2
    rows = list_page(
        status=None if args.status == "all" else args.status,
        source=args.source,
        before_id=args.before,
        limit=args.limit,
        tenant_id=get_settings().tenant,
    )
    if args.json:
        for row in rows:
            print(json.dumps(row, default=str, sort_keys=True))
        return 0
    if not rows:
        print("no dead letters")
        return 0
    print(f"{'ID':>6}  {'CREATED':<19}  {'SOURCE':<14}  {'SUBSCRIBER':<28}  {'TYPE':<40}  "
          f"{'TRIES':>5}  {'STATUS':<8}  EVENT ID / REASON")
    for r in rows:
        created = r["created_at"].strftime("%Y-%m-%d %H:%M:%S")
        print(f"{r['id']:>6}  {created:<19}  {r['source']:<14}  {r['subscriber'] or '-':<28}  "
              f"{r['event_type'] or '-':<40}  {r['attempts']:>5}  {r['status']:<8}  "
              f"{r['event_id'] or '-'}")
        print(f"{'':>8}{r['reason']}")
    return 0
