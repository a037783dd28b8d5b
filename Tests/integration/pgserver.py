"""A throwaway PostgreSQL for the tests that need one (test_cluster*.py, test_migrate.py), and psql.

``postgres`` is a module-scoped fixture: import it into a test module (``from pgserver import postgres``)
and each module gets a server of its own (Tests/postgres/throwaway-postgres.sh, owned by this pytest
process), stopped after the module. Its URL carries ``PASSWORD``, which trust auth ignores: it must show
up in no output. Without PostgreSQL's server binaries the tests fail (they never skip).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

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


PSQL = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "psql"


def psql(url: str, sql: str) -> str:
    """psql's unaligned output (-At, tab-separated) of `sql` on `url`; fails the test on an error."""
    r = subprocess.run([str(PSQL), url.replace(f":{PASSWORD}@", "@"), "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def psql_rows(url: str, sql: str) -> list[list[str]]:
    """The rows of `sql` on `url`, each a list of column texts."""
    return [line.split("\t") for line in psql(url, sql).splitlines() if line]


def database(url: str, name: str) -> str:
    """A new, empty database on the server of `url`; its URL."""
    psql(url, f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
