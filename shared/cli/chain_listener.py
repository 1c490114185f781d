"""`gx chain-listener`: stream ledger events to the broker as CloudEvents (runs until stopped).

The sink is `--sink`, else `K_SINK` (set by Knative on a ContainerSource), else GX_BROKER_URL.
SIGTERM and SIGINT stop it after the event in flight; a SIGKILL loses nothing either (the
checkpoint only moves after the sink acknowledged).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("chain-listener", help="stream ledger events to the broker (long-running)")
    p.add_argument("--sink", help="URL to POST CloudEvents to (default: K_SINK, then GX_BROKER_URL)")
    p.add_argument("--name", default="chain-listener", help="checkpoint name")
    p.add_argument("--batch", type=int, default=500, help="events read per poll")
    p.add_argument("--poll", type=float, default=0.1, help="seconds between polls when caught up")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shared.chain.listener import ChainListener, HttpSink
    from shared.chain.port import get_ledger
    from shared.config import get_settings
    from shared.runtime.heap import freeze_startup_heap

    settings = get_settings()
    # K_SINK is Knative's contract for sources (not a GX_ setting), so it is read here.
    sink = args.sink or os.environ.get("K_SINK") or settings.require("broker_url")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    listener = ChainListener(
        get_ledger(),
        HttpSink(sink),
        name=args.name,
        channel=settings.channel,
        chaincode=settings.chaincode,
        batch_size=args.batch,
    )
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Alone in its pod: serve its own /metrics. Under `gx dev` the shared multi-process
        # folder already puts its gauges on the one metrics port.
        from shared.observability import start_metrics_server

        start_metrics_server(settings.metrics_port)
    from shared import tracing

    tracing.configure()  # spans of the publish step when GX_OTLP_ENDPOINT is set
    freeze_startup_heap()
    listener.run(stop, poll_interval=args.poll)
    return 0
