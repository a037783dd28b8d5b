"""Session fixtures for the real-client integration suite.

Modes
-----
* Default: start ``$TESSERA_BIN`` (default ``<repo>/.build/release/tessera``) as

      tessera serve --listen 127.0.0.1:<free port> --data-dir <tmp>/data \
          --access-key <AK> --secret-key <SK> --region us-east-1 \
          --domain localhost [$TESSERA_SERVE_ARGS...]

  wait until the port accepts (30 s), and SIGTERM it at the end of the session
  (it must exit 0 within 10 s).
* ``TESSERA_ENDPOINT=http://127.0.0.1:5000``: use an already running server
  (e.g. a reference implementation) with ``TESSERA_ACCESS_KEY`` /
  ``TESSERA_SECRET_KEY`` (default ``test`` / ``testsecret``).  Set
  ``TESSERA_DOMAIN=localhost`` if that server does virtual-hosted buckets
  under ``*.localhost``.
* ``tls_server``: a second managed daemon, started the same way plus
  ``--tls-cert/--tls-key`` with a self-signed certificate for 127.0.0.1 and
  localhost made by ``openssl req -x509``; its clients trust that certificate
  (``server.ca_bundle``).  Skipped with ``TESSERA_ENDPOINT``.

Other knobs: ``TESSERA_REGION`` (us-east-1), ``TESSERA_CLIENT_TIMEOUT`` (60 s per
client command), ``TESSERA_CLIENT_MAX_ATTEMPTS`` (1: client retries would hide
daemon errors), ``TESSERA_KEEP_DATA=1`` (keep the temp dir and daemon logs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from daemon import thread_stacks
from itutil import CLIENT_TIMEOUT, run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent  # <repo>/Tests/integration/conftest.py

# Credentials used when the suite starts the daemon itself (same as the wire fixtures).
MANAGED_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
MANAGED_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
MAX_ATTEMPTS = int(os.environ.get("TESSERA_CLIENT_MAX_ATTEMPTS", "1"))

_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
_NO_PROXY = "127.0.0.1,localhost,.localhost"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        return f"<unreadable: {e}>"
    return data[-limit:].decode("utf-8", "replace")


class Server:
    """Where the daemon under test lives, plus one small runner per client."""

    def __init__(self, *, endpoint: str, access_key: str, secret_key: str, region: str,
                 data_dir: Path | None, domain: str | None, root: Path,
                 proc: subprocess.Popen | None = None, ca_bundle: Path | None = None):
        self.endpoint = endpoint.rstrip("/")
        parts = urlsplit(self.endpoint)
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.hostport = f"{self.host}:{self.port}"
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.data_dir = data_dir          # None when the server is external
        self.domain = domain              # virtual-hosted base domain, if any
        self.root = root                  # private temp root (holds data_dir when managed)
        self.proc = proc
        self.ca_bundle = ca_bundle        # PEM CA the https clients trust (the self-signed cert)
        self.stderr_path = root / "tessera.stderr.log"
        self.stdout_path = root / "tessera.stdout.log"

        # Empty files so no user/CI AWS or rclone config leaks into the clients.
        self._aws_config = root / "aws-config"
        self._aws_creds = root / "aws-credentials"
        self._rclone_config = root / "rclone.conf"
        for p in (self._aws_config, self._aws_creds, self._rclone_config):
            p.write_text("")
        self._s3cmd_config = root / "s3cmd.cfg"
        self._s3cmd_config.write_text(self._s3cmd_config_text())

    @property
    def managed(self) -> bool:
        return self.proc is not None

    def daemon_stderr(self) -> str:
        return _tail(self.stderr_path) if self.managed else "<external server>"

    # ------------------------------------------------------------------ env
    def env(self, *, keep_ca_bundle: bool = False, **extra: str) -> dict:
        """os.environ copy that isolates every client from the host's config.

        All AWS_*/RCLONE_*/S3CMD_* and proxy variables are dropped.  That includes
        AWS_CA_BUNDLE, with which rclone fails (LoadCustomCABundleError); only the
        aws CLI gets it back (``keep_ca_bundle``), for https endpoints; with
        ``self.ca_bundle`` set it is that file.
        """
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "RCLONE_", "S3CMD_")) and k not in _PROXY_VARS}
        if keep_ca_bundle and os.environ.get("AWS_CA_BUNDLE"):
            e["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
        if keep_ca_bundle and self.ca_bundle:
            e["AWS_CA_BUNDLE"] = str(self.ca_bundle)
        e["NO_PROXY"] = e["no_proxy"] = _NO_PROXY
        e.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            AWS_CONFIG_FILE=str(self._aws_config),
            AWS_SHARED_CREDENTIALS_FILE=str(self._aws_creds),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_RETRY_MODE="standard",
            AWS_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
            AWS_DEFAULT_OUTPUT="json",
            AWS_PAGER="",
            RCLONE_CONFIG=str(self._rclone_config),
            RCLONE_CONFIG_T_TYPE="s3",
            RCLONE_CONFIG_T_PROVIDER="Other",
            RCLONE_CONFIG_T_ENV_AUTH="false",
            RCLONE_CONFIG_T_ENDPOINT=self.endpoint,
            RCLONE_CONFIG_T_ACCESS_KEY_ID=self.access_key,
            RCLONE_CONFIG_T_SECRET_ACCESS_KEY=self.secret_key,
            RCLONE_CONFIG_T_REGION=self.region,
            RCLONE_CONFIG_T_FORCE_PATH_STYLE="true",
        )
        e.update(extra)
        return e

    # ------------------------------------------------------------- runners
    def aws(self, *args, check=True, timeout=None, input=None, cwd=None):
        """``aws --endpoint-url <endpoint> <args>`` (AWS CLI v1)."""
        return run(["aws", "--endpoint-url", self.endpoint, "--region", self.region, *args],
                   env=self.env(keep_ca_bundle=True), check=check, timeout=timeout,
                   input=input, cwd=cwd)

    def aws_json(self, *args, **kw):
        """``aws(...)`` and parse its JSON stdout ({} when empty)."""
        out = self.aws(*args, **kw).stdout
        return json.loads(out) if out.strip() else {}

    def rclone(self, *args, check=True, timeout=None, cwd=None):
        """rclone with remote ``t:`` defined purely by RCLONE_CONFIG_T_* env vars."""
        ca = ["--ca-cert", str(self.ca_bundle)] if self.ca_bundle else []
        return run(["rclone", "--retries", "1", "--low-level-retries", str(MAX_ATTEMPTS),
                    "--contimeout", "10s", "--timeout", f"{int(CLIENT_TIMEOUT)}s", *ca, *args],
                   env=self.env(), check=check, timeout=timeout, cwd=cwd)

    def s3cmd(self, *args, check=True, timeout=None, cwd=None):
        return run(["s3cmd", "-c", str(self._s3cmd_config), "--no-progress", *args],
                   env=self.env(), check=check, timeout=timeout, cwd=cwd)

    def curl(self, *args, check=True, timeout=None, text=False):
        """curl with --fail-with-body; returns CompletedProcess (bytes by default)."""
        t = CLIENT_TIMEOUT if timeout is None else timeout
        ca = ["--cacert", str(self.ca_bundle)] if self.ca_bundle else []
        return run(["curl", "--silent", "--show-error", "--fail-with-body", "--noproxy", "*",
                    "--max-time", str(int(t)), *ca, *args],
                   env=self.env(), check=check, timeout=t + 5, text=text)

    def boto3_client(self, *, endpoint_url=None, access_key=None, secret_key=None,
                     region=None, **config):
        """A boto3 S3 client; ``config`` goes to botocore.config.Config.

        Defaults: path-style addressing, no retries, 10 s connect / 60 s read
        timeouts.  No AWS config or credentials file is read.  Over https the
        client verifies against ``self.ca_bundle`` when set.
        """
        import boto3
        import botocore.session
        from botocore.config import Config

        cfg = dict(
            s3={"addressing_style": "path"},
            # total_max_attempts counts the first request (max_attempts would not)
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            connect_timeout=10,
            read_timeout=int(CLIENT_TIMEOUT),
        )
        cfg.update(config)
        bs = botocore.session.Session()
        bs.set_config_variable("config_file", str(self._aws_config))
        bs.set_config_variable("credentials_file", str(self._aws_creds))
        session = boto3.session.Session(botocore_session=bs)
        return session.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=region or self.region,
            config=Config(**cfg),
            **({"verify": str(self.ca_bundle)} if self.ca_bundle else {}),
        )

    def _s3cmd_config_text(self) -> str:
        return "\n".join([
            "[default]",
            f"access_key = {self.access_key}",
            f"secret_key = {self.secret_key}",
            f"host_base = {self.hostport}",
            f"host_bucket = {self.hostport}",  # == host_base -> path style
            f"use_https = {'True' if self.endpoint.startswith('https') else 'False'}",
            "signature_v2 = False",
            f"bucket_location = {self.region}",
            "check_ssl_certificate = False",
            "check_ssl_hostname = False",
            "proxy_host = ",
            "proxy_port = 0",
            "guess_mime_type = True",
            "use_mime_magic = False",
            f"socket_timeout = {int(CLIENT_TIMEOUT)}",
            f"max_retries = {MAX_ATTEMPTS}",
            "",
        ])


# ---------------------------------------------------------------------------
# server fixture
# ---------------------------------------------------------------------------

def _start_managed(root: Path, *, extra_args: tuple[str, ...] = (), scheme: str = "http",
                   ca_bundle: Path | None = None) -> Server:
    binary = Path(os.environ.get("TESSERA_BIN", REPO / ".build" / "release" / "tessera")).resolve()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(f"daemon binary {binary} not found or not executable "
                    f"(build it, set TESSERA_BIN, or set TESSERA_ENDPOINT)", pytrace=False)
    access_key = os.environ.get("TESSERA_ACCESS_KEY", MANAGED_ACCESS_KEY)
    secret_key = os.environ.get("TESSERA_SECRET_KEY", MANAGED_SECRET_KEY)
    region = os.environ.get("TESSERA_REGION", "us-east-1")
    data_dir = root / "data"
    data_dir.mkdir()
    port = _free_port()
    cmd = [str(binary), "serve",
           "--listen", f"127.0.0.1:{port}",
           "--data-dir", str(data_dir),
           "--access-key", access_key,
           "--secret-key", secret_key,
           "--region", region,
           "--domain", "localhost",
           *extra_args,
           *shlex.split(os.environ.get("TESSERA_SERVE_ARGS", ""))]
    stdout = open(root / "tessera.stdout.log", "wb")
    stderr = open(root / "tessera.stderr.log", "wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            cwd=root, start_new_session=True)
    stdout.close()
    stderr.close()
    server = Server(endpoint=f"{scheme}://127.0.0.1:{port}", access_key=access_key,
                    secret_key=secret_key, region=region, data_dir=data_dir,
                    domain="localhost", root=root, proc=proc, ca_bundle=ca_bundle)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"daemon exited with {proc.returncode} before accepting connections\n"
                        f"command: {shlex.join(cmd)}\n--- stderr ---\n{server.daemon_stderr()}",
                        pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"daemon did not accept connections on 127.0.0.1:{port} within "
                        f"{START_TIMEOUT:.0f}s\ncommand: {shlex.join(cmd)}\n"
                        f"--- stderr ---\n{server.daemon_stderr()}", pytrace=False)
        time.sleep(0.1)
    return server


def _stop_managed(server: Server) -> None:
    proc = server.proc
    if proc.poll() is not None:
        pytest.fail(f"daemon died during the session with exit code {proc.returncode}\n"
                    f"--- stderr ---\n{server.daemon_stderr()}", pytrace=False)
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        stacks = thread_stacks(proc.pid)
        proc.kill()
        proc.wait()
        pytest.fail(f"daemon did not exit within {STOP_TIMEOUT:.0f}s of SIGTERM\n"
                    f"--- stderr ---\n{server.daemon_stderr()}\n--- threads ---\n{stacks}", pytrace=False)
    if rc != 0:
        pytest.fail(f"daemon exited with {rc} after SIGTERM (expected 0)\n"
                    f"--- stderr ---\n{server.daemon_stderr()}", pytrace=False)


@contextlib.contextmanager
def _session_root(prefix: str):
    """A private temp root for one session daemon, with proxies bypassed for loopback."""
    # In-process boto3 must never go through a proxy for 127.0.0.1 / *.localhost.
    for var in ("NO_PROXY", "no_proxy"):
        cur = os.environ.get(var, "")
        if _NO_PROXY not in cur:
            os.environ[var] = f"{cur},{_NO_PROXY}" if cur else _NO_PROXY
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        if os.environ.get("TESSERA_KEEP_DATA"):
            print(f"\n[tessera-it] kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _managed(root: Path, **kw):
    srv = _start_managed(root, **kw)
    try:
        yield srv
    finally:
        _stop_managed(srv)


@pytest.fixture(scope="session")
def server():
    with _session_root("tessera-it-") as root:
        external = os.environ.get("TESSERA_ENDPOINT")
        if external:
            yield Server(endpoint=external,
                         access_key=os.environ.get("TESSERA_ACCESS_KEY", "test"),
                         secret_key=os.environ.get("TESSERA_SECRET_KEY", "testsecret"),
                         region=os.environ.get("TESSERA_REGION", "us-east-1"),
                         data_dir=None, domain=os.environ.get("TESSERA_DOMAIN") or None,
                         root=root)
        else:
            with _managed(root) as srv:
                yield srv


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate (it is its own CA) for 127.0.0.1 and localhost: (cert, key)."""
    cert, key = directory / "tls-cert.pem", directory / "tls-key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE"])
    return cert, key


@pytest.fixture(scope="session")
def tls_server():
    """A second managed daemon serving HTTPS (``--tls-cert/--tls-key``, self-signed)."""
    if os.environ.get("TESSERA_ENDPOINT"):
        pytest.skip("tls_server starts its own daemon; not available with TESSERA_ENDPOINT")
    with _session_root("tessera-it-tls-") as root:
        cert, key = make_self_signed_cert(root)
        with _managed(root, extra_args=("--tls-cert", str(cert), "--tls-key", str(key)),
                      scheme="https", ca_bundle=cert) as srv:
            yield srv


@pytest.fixture(autouse=True)
def _daemon_alive(request):
    """Fail fast, with the daemon's stderr, if the managed daemon has died."""
    yield
    for name in ("server", "tls_server"):
        if name not in request.fixturenames:
            continue
        srv = request.getfixturevalue(name)
        if srv.managed and srv.proc.poll() is not None:
            pytest.fail(f"daemon died (exit code {srv.proc.returncode}) during "
                        f"{request.node.nodeid}\n--- stderr ---\n{srv.daemon_stderr()}",
                        pytrace=False)


# ---------------------------------------------------------------------------
# boto3 client and bucket fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def s3(server):
    """Default boto3 client (path style, default checksum config)."""
    return server.boto3_client()


def unique_bucket_name(prefix: str = "tessera-it") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def purge_bucket(client, name: str) -> None:
    """Best-effort: abort uploads, delete every object, delete the bucket."""
    try:
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
            for u in page.get("Uploads", []):
                try:
                    client.abort_multipart_upload(Bucket=name, Key=u["Key"], UploadId=u["UploadId"])
                except Exception:
                    pass
    except Exception:
        pass
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for o in page.get("Contents", []):
                try:
                    client.delete_object(Bucket=name, Key=o["Key"])
                except Exception:
                    pass
    except Exception:
        pass
    try:  # a versioned bucket keeps versions and delete markers: each goes by its version ID
        for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                try:
                    client.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
                except Exception:
                    pass
    except Exception:
        pass
    try:
        client.delete_bucket(Bucket=name)
    except Exception:
        pass


@pytest.fixture
def bucket(server, s3):
    """A fresh, empty bucket (created with boto3); emptied and deleted afterwards."""
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    yield name
    purge_bucket(s3, name)


@pytest.fixture
def bucket_name(server, s3):
    """A unique bucket name that does NOT exist yet; removed afterwards if created."""
    name = unique_bucket_name()
    yield name
    purge_bucket(s3, name)
