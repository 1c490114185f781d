"""POST /api/v1/admin/dead-letters/{deadLetterId}/replay: re-send one dead-lettered event to the
broker so its projector handles it again. Auth: admin. Audited (DEAD_LETTER_REPLAYED).
404 unknown id, 409 already replayed, 422 still invalid, 503 broker unavailable."""

import functions_framework

from shared.errors import NotFound
from shared.events import replay
from shared.events.sink import broker_sink
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def replay_dead_letter(call: Call) -> Reply:
    raw = call.params["deadLetterId"]
    if not raw.isdigit():
        raise NotFound(f"dead letter {raw} does not exist", code="DEAD_LETTER_NOT_FOUND")
    return replay.replay(
        int(raw),
        actor_id=call.user.sub,
        # Resolved at send time: without a broker the replay answers 503 and changes nothing.
        send=lambda event: broker_sink().send(event),
    )
