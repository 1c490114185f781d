"""Every alert has its runbook section, every runbook link resolves, the README links the runbook."""

from __future__ import annotations

import re
from pathlib import Path

from knative.monitoring.alerts import alerts
from knative.registry import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors() -> set[str]:
    return {_anchor(m.group(1)) for m in re.finditer(r"(?m)^#{1,6} (.+)$", RUNBOOK.read_text())}


def test_every_alert_has_a_runbook_section() -> None:
    anchors = _anchors()
    for alert in alerts(FUNCTIONS):
        url = alert.rule()["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert (ROOT / path) == RUNBOOK
        assert anchor in anchors, f"{alert.name}: no section #{anchor} in docs/runbook.md"


def test_every_section_says_what_it_means_and_what_to_do() -> None:
    text = RUNBOOK.read_text()
    for alert in {a.name for a in alerts(FUNCTIONS)}:
        section = text.split(f"\n## {alert}\n", 1)[1].split("\n## ", 1)[0]
        assert "**Means.**" in section, alert
        assert "**Do.**" in section or "**Confirm / Do.**" in section, alert


def test_runbook_links_resolve() -> None:
    anchors = _anchors()
    text = RUNBOOK.read_text()
    for target in re.findall(r"\]\(([^)]+)\)", text):
        path, _, anchor = target.partition("#")
        if path:
            assert (RUNBOOK.parent / path).resolve().exists(), target
        else:
            assert anchor in anchors, target


def test_routine_operations_are_covered() -> None:
    anchors = _anchors()
    for op in ("hold-and-release-the-outbox", "re-drive-dead-commands", "replay-dead-letters",
               "rotate-jwt-keys", "rotate-fabric-identities", "scale", "pause-the-chain"):
        assert op in anchors


def test_readme_links_the_runbook() -> None:
    assert "(docs/runbook.md)" in (ROOT / "README.md").read_text()
