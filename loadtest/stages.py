"""The load shape's stages as plain data (no locust import, so tests and tools can use it without
gevent's monkey-patching): ramp, plateau, spike, recovery, wind-down.

Stages are fractions of the run's length and of the peak user count, so a 15 s smoke run and a
10 minute soak have the same form.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SECONDS = 60.0
DEFAULT_PEAK = 30


@dataclass(frozen=True)
class Stage:
    until: float  # fraction of the run at which the stage ends
    users: float  # fraction of the peak user count
    spawn_rate: float  # users started (or stopped) per second, as a fraction of the peak


#: Ramp to 60 % of peak, hold, spike to 100 %, fall back to 60 %, then wind down.
STAGES = (
    Stage(0.25, 0.6, 0.2),
    Stage(0.60, 0.6, 0.2),
    Stage(0.75, 1.0, 1.0),
    Stage(0.92, 0.6, 1.0),
    Stage(1.00, 0.2, 1.0),
)


def plan(elapsed: float, total: float, peak: int) -> tuple[int, float] | None:
    """(target users, spawn rate) at `elapsed` seconds of a `total`-second run; None when over."""
    if elapsed >= total:
        return None
    for stage in STAGES:
        if elapsed < stage.until * total:
            return max(1, round(stage.users * peak)), max(1.0, stage.spawn_rate * peak)
    return None
