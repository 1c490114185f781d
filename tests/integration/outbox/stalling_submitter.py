"""A real submitter process whose ledger call is slow, so a test can freeze it (SIGSTOP) mid-call.

Run by the lease tests: `python -m tests.integration.outbox.stalling_submitter <outbox dsn>
<ledger schema> <command id> <lease s> <before|after> <delay s>`. The ledger is the real
embedded ledger; the wrapper only waits `delay` seconds before (a slow request) or after (a slow
reply) the real submission. The process prints its drain's stats as one JSON line and exits 0.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from shared import db
from shared.chain.embedded.ledger import EmbeddedLedger
from shared.outbox.policy import Policy
from shared.outbox.submit import Submitter
from tests.integration.outbox.sample_commands import TEST_CATALOGUE

OWNER = "stalling"


class SlowLedger:
    def __init__(self, ledger: EmbeddedLedger, when: str, delay_s: float) -> None:
        self.ledger, self.when, self.delay_s = ledger, when, delay_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def submit(self, submission: Any) -> Any:
        if self.when == "before":
            time.sleep(self.delay_s)
        outcome = self.ledger.submit(submission)
        if self.when == "after":
            time.sleep(self.delay_s)
        return outcome


def main() -> None:
    dsn, schema, command_id = sys.argv[1], sys.argv[2], sys.argv[3]
    lease_s, when, delay_s = float(sys.argv[4]), sys.argv[5], float(sys.argv[6])
    submitter = Submitter(
        SlowLedger(EmbeddedLedger(dsn, schema), when, delay_s),  # type: ignore[arg-type]
        owner=OWNER,
        policy=Policy(lease_s=lease_s),
        catalogue=TEST_CATALOGUE,
        connect=lambda: db.connection(dsn),
    )
    stats = submitter.submit_command(command_id)
    print(json.dumps({"claimed": stats.claimed, "lost_leases": stats.lost_leases,
                      "by_status": stats.by_status}), flush=True)


if __name__ == "__main__":
    main()
