"""A real submitter process that dies right after the ledger committed its transaction.

Run by the crash acceptance test: `python -m tests.integration.outbox.crashing_submitter
<outbox dsn> <ledger schema> <command id>`. The ledger is the real embedded ledger; the wrapper
only kills the process (exit 99) between the ledger commit and the outbox finalise.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from shared import db
from shared.chain.embedded.ledger import EmbeddedLedger
from shared.outbox.policy import Policy
from shared.outbox.submit import Submitter
from tests.integration.outbox.sample_commands import TEST_CATALOGUE

CRASH_EXIT = 99


class DieAfterCommit:
    def __init__(self, ledger: EmbeddedLedger) -> None:
        self.ledger = ledger

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def submit(self, submission: Any) -> Any:
        self.ledger.submit(submission)
        os._exit(CRASH_EXIT)

    def submit_batch(self, submissions: Any) -> Any:
        self.ledger.submit_batch(submissions)
        os._exit(CRASH_EXIT)


def main() -> None:
    dsn, schema, command_id, lease_s = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    submitter = Submitter(
        DieAfterCommit(EmbeddedLedger(dsn, schema)),  # type: ignore[arg-type]
        owner="doomed",
        policy=Policy(lease_s=lease_s),
        catalogue=TEST_CATALOGUE,
        connect=lambda: db.connection(dsn),
    )
    submitter.submit_command(command_id)
    sys.exit(0)  # only reached if nothing was claimed


if __name__ == "__main__":
    main()
