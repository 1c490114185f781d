"""`gx knative render [--check]`: write knative/generated/ from knative/registry.py.

Also knative/generated/monitoring/ (knative/monitoring/).

`--check` writes nothing and exits 1 when the committed files differ from a fresh render (CI).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("knative", help="Knative manifests generated from the function registry")
    actions = p.add_subparsers(dest="knative_command", required=True)
    render = actions.add_parser("render", help="write knative/generated/ from the registry")
    render.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the files are out of date"
    )
    render.add_argument(
        "--image", default=None, help="image reference (default gx-functions:<version>)"
    )
    render.add_argument(
        "--out", type=Path, default=None, help="output folder (default knative/generated)"
    )
    render.set_defaults(func=run_render)


def run_render(args: argparse.Namespace) -> int:
    from knative import render
    from knative.monitoring import render as monitoring

    out = args.out or render.GENERATED
    files = render.render_registry(image=args.image)
    # The monitoring objects (scrape, alerts, dashboards, metrics table) in their own folder.
    extra = monitoring.render_registry()
    if args.check:
        changes = render.differences(files, out) + monitoring.differences(extra, out / "monitoring")
        print("\n".join(changes) or f"{out} is up to date")
        return 1 if changes else 0
    changes = render.write(files, out) + monitoring.write(extra, out / "monitoring")
    print("\n".join(f"wrote {c}" for c in changes) or f"{out} is up to date")
    return 0
