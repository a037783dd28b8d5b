"""The load test's data checks (Tests/load/loadtest.py): they catch wrong bytes, and a short run passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from daemon import BIN, REPO

sys.path.insert(0, str(REPO / "Tests" / "load"))
import loadtest  # noqa: E402


def test_the_body_check_catches_every_kind_of_wrong_body():
    body = loadtest.make_body("c1/k1", "1.7", 4096)
    assert loadtest.check_body("c1/k1", body, {"1.7"}) == ("1.7", None)
    flipped = bytearray(body)
    flipped[3000] ^= 1
    assert loadtest.check_body("c1/k1", bytes(flipped), {"1.7"})[1]
    assert loadtest.check_body("c1/k1", body[:-1], {"1.7"})[1]  # truncated
    assert loadtest.check_body("c1/k2", body, {"1.7"})[1]  # another key's body
    assert loadtest.check_body("c1/k1", body, {"1.8"})[1]  # a token never written there
    assert loadtest.check_body("c1/k1", b"\x00" * 4096, {"1.7"})[1]
    other = loadtest.make_body("c1/k1", "1.8", 4096)
    assert other != body and loadtest.check_body("c1/k1", other, {"1.7", "1.8"}) == ("1.8", None)


def test_a_short_load_run_verifies_what_it_reads():
    out = subprocess.run([sys.executable, str(REPO / "Tests" / "load" / "loadtest.py"), "--clients", "12", "--seconds", "10",
                          "--bin", BIN], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    verified = int(out.stdout.split("bodies read and verified: ")[1].split(";")[0])
    assert verified > 50, out.stdout
    assert "mismatches: 0" in out.stdout
