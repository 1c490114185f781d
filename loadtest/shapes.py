"""The locust load shape: ramp, plateau, spike, recovery (stages in `loadtest.stages`).

The run's length is `--run-time` (default 60 s) and the spike's size `--peak-users` (default 30);
the shape ends the run itself when its last stage is over (`tick` returns None).
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtest.stages import DEFAULT_PEAK, DEFAULT_SECONDS, plan


class RampPlateauSpike(LoadTestShape):
    """Locust picks this up from the locustfile."""

    use_common_options = True  # --run-time is read here (and still bounds the run)

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        total = float(getattr(options, "run_time", None) or DEFAULT_SECONDS)
        peak = int(getattr(options, "peak_users", None) or DEFAULT_PEAK)
        return plan(self.get_run_time(), total, peak)
