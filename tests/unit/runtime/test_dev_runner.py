"""`gx dev` supervision: restarts a dying child (bounded), stops whole process groups (SIGTERM,
then SIGKILL after the grace), refuses taken ports, keeps its signing keys."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import psutil
import pytest

from shared.config import Settings
from shared.runtime.dev import Child, DevError, DevRunner
from shared.runtime.embedded import free_port
from shared.runtime.startup import steps


def _runner(tmp_path: Path, **kw) -> DevRunner:
    settings = Settings(home=tmp_path / "home", port=free_port(), **kw)
    return DevRunner(settings, out=lambda line: None)


def test_a_child_that_keeps_dying_is_restarted_up_to_the_limit(tmp_path):
    runner = _runner(tmp_path, dev_restart_limit=2)
    marker = tmp_path / "starts"
    child = Child("flaky", [sys.executable, "-c",
                            f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"], 0)
    runner.children = [child]
    child.start({})
    assert runner.supervise() == 1
    assert child.restarts == 2
    assert marker.read_text() == "xxx"  # first start + two restarts
    runner.shutdown()


def test_shutdown_kills_a_group_that_ignores_sigterm(tmp_path):
    runner = _runner(tmp_path, dev_stop_grace_s=0.5)
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', 'import signal, time;"
        " signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    child = Child("stubborn", [sys.executable, "-c", script], 0)
    runner.children = [child]
    child.start({})
    time.sleep(0.5)
    family = [psutil.Process(child.proc.pid), *psutil.Process(child.proc.pid).children()]
    assert len(family) == 2
    started = time.monotonic()
    runner.shutdown()
    assert time.monotonic() - started < 5
    _, alive = psutil.wait_procs(family, timeout=2)
    assert not alive


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        runner = _runner(tmp_path)
        runner.settings = Settings(home=tmp_path / "home", port=s.getsockname()[1])
        with pytest.raises(DevError, match="already in use"):
            runner.prepare()
    assert not (tmp_path / "home").exists()


def test_signing_keys_are_generated_once_and_kept(tmp_path):
    runner = _runner(tmp_path)
    private, public = runner._keys()
    first = Path(private).read_text(), Path(public).read_text()
    assert first[0].startswith("-----BEGIN PRIVATE KEY")
    assert Path(private).stat().st_mode & 0o077 == 0  # not readable by others
    assert runner._keys() == (private, public)
    assert (Path(private).read_text(), Path(public).read_text()) == first


def test_startup_steps_run_in_declared_order():
    found = steps()
    orders = [int(getattr(m, "ORDER", 100)) for m in found]
    assert orders == sorted(orders)
    assert all(callable(getattr(m, "run", None)) for m in found)
    assert "shared.runtime.startup.seed" in [m.__name__ for m in found]
