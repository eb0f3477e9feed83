"""The watchdog of tests/e2e/deployment.py on real processes: a dead component fails a wait at once."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest
from tests.e2e.deployment import ComponentDied, Watchdog, process

SCHEDULER = "import time\nprint('scheduler: heartbeat', flush=True)\ntime.sleep(600)\n"
CRASH = "import sys\nprint('loading...')\nprint('StaleDataError: UPDATE expected 1 row', flush=True)\nsys.exit(3)\n"


def test_a_component_that_exits_fails_the_wait_with_its_log_and_the_schedulers(tmp_path: Path) -> None:
    logs = {name: tmp_path / f"{name}.log" for name in ("scheduler", "dag-processor")}
    with contextlib.ExitStack() as stack:
        scheduler = stack.enter_context(process([sys.executable, "-c", SCHEDULER], logs["scheduler"]))
        crashing = stack.enter_context(process([sys.executable, "-c", CRASH], logs["dag-processor"]))
        watchdog = Watchdog({"scheduler": (scheduler, logs["scheduler"])})
        watchdog.add("dag-processor", crashing, logs["dag-processor"])
        with pytest.raises(ComponentDied) as died:
            # the condition never holds; only the dead process can end this wait before its hour
            watchdog.wait(lambda: False, "a condition that never holds", timeout_s=3600, interval_s=0.1)
        assert scheduler.poll() is None  # the live one was not mistaken for dead
    message = str(died.value)
    assert message.startswith(f"dag-processor (pid {crashing.pid}) exited with 3")
    assert "StaleDataError: UPDATE expected 1 row" in message
    assert f"--- scheduler: {logs['scheduler']} ---\nscheduler: heartbeat" in message


def test_a_wait_on_live_components_returns_the_condition_or_times_out(tmp_path: Path) -> None:
    log = tmp_path / "scheduler.log"
    with process([sys.executable, "-c", SCHEDULER], log) as scheduler:
        watchdog = Watchdog({"scheduler": (scheduler, log)})
        answers = iter([None, ConnectionError("not yet"), {"ok": 1}])

        def answer() -> object:
            value = next(answers)
            if isinstance(value, Exception):
                raise value  # a server still starting refuses connections: "not yet"
            return value

        assert watchdog.wait(answer, "an answer", timeout_s=60, interval_s=0.01) == {"ok": 1}
        with pytest.raises(TimeoutError, match="never not ready in 0.2 s"):
            watchdog.wait(lambda: False, "never", timeout_s=0.2, interval_s=0.05)
