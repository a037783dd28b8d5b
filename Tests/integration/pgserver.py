"""A throwaway PostgreSQL for the tests that need one (test_cluster.py, test_migrate.py).

``postgres`` is a module-scoped fixture: import it into a test module (``from pgserver import postgres``)
and each module gets a server of its own (Tests/postgres/throwaway-postgres.sh, owned by this pytest
process), stopped after the module. Its URL carries ``PASSWORD``, which trust auth ignores: it must show
up in no output. Without PostgreSQL's server binaries the tests fail (they never skip).
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from daemon import REPO

THROWAWAY = REPO / "Tests" / "postgres" / "throwaway-postgres.sh"
PASSWORD = "pw-" + uuid.uuid4().hex  # trust auth ignores it; it must show up nowhere


@pytest.fixture(scope="module")
def postgres():
    """The URL (with a password in it) of a throwaway PostgreSQL, stopped after the module."""
    start = subprocess.run(["bash", str(THROWAWAY), "start", str(os.getpid())],
                           capture_output=True, text=True, timeout=180)
    if start.returncode != 0:
        pytest.fail("these tests need a PostgreSQL server of their own and could not start one "
                    f"({THROWAWAY.name} exit {start.returncode}): {start.stderr.strip()}", pytrace=False)
    directory, url = start.stdout.split()
    try:
        yield url.replace("postgres://postgres@", f"postgres://postgres:{PASSWORD}@", 1)
    finally:
        subprocess.run(["bash", str(THROWAWAY), "stop", directory], timeout=120)
