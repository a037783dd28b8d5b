"""Helpers shared by the real-client integration tests.

Nothing in here knows about a particular client flow; the per-client runners
live on the ``Server`` object built in ``conftest.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Iterable, Sequence

# Every client subprocess gets this timeout so a hung daemon fails the test
# instead of hanging CI.  Override with TESSERA_CLIENT_TIMEOUT (seconds).
CLIENT_TIMEOUT = float(os.environ.get("TESSERA_CLIENT_TIMEOUT", "60"))

MiB = 1024 * 1024
KiB = 1024

# The key every recorded client sent once (see /work/shared/fixtures/wire/README.md).
# On the wire: odd%20key/%C3%A4%20b%2Bc%3Dd%26e~%281%29.txt
ODD_KEY = "odd key/ä b+c=d&e~(1).txt"
ODD_NAME = "ä b+c=d&e~(1).txt"  # the last path segment, usable as a local file name

MULTIPART_ETAG_RE = re.compile(r'^"[0-9a-f]{32}-(\d+)"$')
SIMPLE_ETAG_RE = re.compile(r'^"[0-9a-f]{32}"$')


# --------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------

def random_bytes(size: int) -> bytes:
    return os.urandom(size)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256_file(path: os.PathLike | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_file(path: os.PathLike | str, size: int) -> str:
    """Write ``size`` random bytes to ``path`` (parents created); return sha256 hex."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    remaining = size
    with open(path, "wb") as f:
        while remaining:
            chunk = os.urandom(min(remaining, 1 << 20))
            h.update(chunk)
            f.write(chunk)
            remaining -= len(chunk)
    return h.hexdigest()


def multipart_etag_of_parts(parts: Iterable[bytes]) -> str:
    """S3 multipart ETag: md5(concat(md5(part_i) binary)) hex + '-N', quoted."""
    digests = [hashlib.md5(p).digest() for p in parts]
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


def multipart_etag_of_file(path: os.PathLike | str, part_size: int) -> str:
    parts = []
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(part_size), b""):
            parts.append(block)
    return multipart_etag_of_parts(parts)


def simple_etag(data: bytes) -> str:
    return '"%s"' % md5_hex(data)


# --------------------------------------------------------------------------
# Subprocess helper
# --------------------------------------------------------------------------

class ClientError(AssertionError):
    pass


def run(cmd: Sequence[str], *, env=None, check=True, timeout=None, input=None,
        cwd=None, text=True) -> subprocess.CompletedProcess:
    """Run a client command with a hard timeout.

    A timeout (hung daemon) and, with ``check``, a non-zero exit become test
    failures that show the command line, exit code, stdout and stderr.
    """
    timeout = CLIENT_TIMEOUT if timeout is None else timeout
    printable = " ".join(shlex.quote(str(c)) for c in cmd)
    try:
        proc = subprocess.run(
            [str(c) for c in cmd], env=env, cwd=cwd, input=input,
            capture_output=True, timeout=timeout, text=text,
            **({"encoding": "utf-8", "errors": "replace"} if text else {}),
        )
    except FileNotFoundError:
        # Deliberately a failure, not a skip: CI must install every client.
        raise ClientError(
            f"client binary {cmd[0]!r} not found on PATH; install it "
            f"({_INSTALL_HINTS.get(str(cmd[0]), 'see Tests/integration/README.md')})"
        ) from None
    except subprocess.TimeoutExpired as e:
        raise ClientError(
            f"client timed out after {timeout:.0f}s (daemon hung?): {printable}\n"
            f"--- stdout ---\n{_s(e.stdout)}\n--- stderr ---\n{_s(e.stderr)}"
        ) from None
    if check and proc.returncode != 0:
        raise ClientError(
            f"client exited {proc.returncode}: {printable}\n"
            f"--- stdout ---\n{_s(proc.stdout)}\n--- stderr ---\n{_s(proc.stderr)}"
        )
    return proc


_INSTALL_HINTS = {
    "aws": "pip install awscli==1.45.11",
    "rclone": "apt-get install -y rclone",
    "s3cmd": "apt-get install -y s3cmd",
    "curl": "apt-get install -y curl",
}


def _s(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bytes):
        x = x.decode("utf-8", "replace")
    return x[-8000:]


def client_error_code(exc) -> str:
    """Error code of a botocore ClientError."""
    return exc.response.get("Error", {}).get("Code", "")


def http_status(resp_or_exc) -> int:
    r = getattr(resp_or_exc, "response", resp_or_exc)
    return r["ResponseMetadata"]["HTTPStatusCode"]


def guide_script(heading: str, replacements: dict[str, str]) -> str:
    """The first ```sh block after `heading` in docs/operator-guide.md, each key of `replacements`
    (which must all occur in it) replaced by its value: so the tests run the guide's scripts as written."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "operator-guide.md").read_text()
    section = text[text.index(heading + "\n"):]
    script = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    for old, new in replacements.items():
        assert old in script, f"{old!r} is no longer in the guide's script under {heading!r}"
        script = script.replace(old, new)
    return script
