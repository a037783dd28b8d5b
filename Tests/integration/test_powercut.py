"""The power-cut harness (Tests/crash/powercut.py) can fail: against `serve --no-fsync` (no fsync of
blobs or directories, SQLite synchronous=OFF) it must report acknowledged writes lost. The 0-lost run
against the normal daemon is `make powercut-short` (part of `make test`) and `make powercut`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from daemon import BIN

POWERCUT = Path(__file__).resolve().parent.parent / "crash" / "powercut.py"
LAST_LINE = re.compile(r"powercut: (\d+) acknowledged, (\d+) verified, (\d+) lost")


def test_powercut_reports_losses_without_fsync():
    run = subprocess.run([sys.executable, str(POWERCUT), "--bin", BIN, "--cuts", "2", "--", "--no-fsync"],
                         capture_output=True, text=True, timeout=600)
    lines = run.stdout.strip().splitlines()
    assert lines, run.stderr[-3000:]
    m = LAST_LINE.fullmatch(lines[-1])
    assert m, run.stdout[-3000:] + run.stderr[-3000:]
    acknowledged, verified, lost = map(int, m.groups())
    assert run.returncode == 1, run.stdout[-3000:]
    assert acknowledged > 0 and lost > 0, lines[-1]
    assert any(l.startswith("lossyfs cut 1:") for l in lines), run.stdout[-3000:]  # a cut was made
