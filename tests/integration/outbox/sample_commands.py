"""A test command type: a real mapping to the embedded ledger's UpdateSystemParameter.

Its aggregate key comes from a `stream` field, so a test chooses how many ordering streams its
commands spread over. Tests pass it to `enqueue` / `Submitter` as their catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from shared import db
from shared.chain.catalogue import CommandDef
from shared.chain.port import ServiceIdentity

SET_PARAM = "OUTBOX_TEST_SET_PARAM"
PARAM = "maxConcurrentLoans"  # 1..1000 and in no cross-parameter rule


class SetParamIn(BaseModel):
    stream: str = Field(min_length=1, max_length=64)
    paramId: str = Field(min_length=1)
    newValue: str


TEST_CATALOGUE = {
    SET_PARAM: CommandDef(
        type=SET_PARAM,
        contract="AdminContract",
        function="UpdateSystemParameter",
        payload=SetParamIn,
        args=lambda p: [p.paramId, p.newValue],
        identity=ServiceIdentity.ADMIN,
        aggregate=lambda p: f"test-stream:{p.stream}",
        service="admin",
    )
}


@pytest.fixture
def sample_commands_cleanup() -> Iterator[None]:
    """Remove the test command type's rows after a test (use with pytest.mark.usefixtures)."""
    yield
    with db.transaction() as conn:
        conn.execute("DELETE FROM outbox_queue WHERE command_type = %s", (SET_PARAM,))
        conn.execute("DELETE FROM outbox_commands WHERE command_type = %s", (SET_PARAM,))
