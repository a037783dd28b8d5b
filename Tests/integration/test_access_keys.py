"""Access keys made with `tessera keys`, limited to buckets, on a running instance."""

from __future__ import annotations

import re
import subprocess
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, own_daemon

pytestmark = pytest.mark.core


def keys(tmp_path, *args) -> str:
    out = subprocess.run([BIN, "keys", *args, "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def until(check, seconds: float = 5.0) -> bool:
    """Whether `check()` turns true within `seconds` (tried every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_scoped_key_reaches_only_its_buckets(tmp_path):
    worker_port = free_port()
    with own_daemon(tmp_path, "--worker-listen", f"127.0.0.1:{worker_port}", "--worker-bucket", "allowed") as port:
        admin = client(port)
        admin.create_bucket(Bucket="other")
        admin.put_object(Bucket="other", Key="secret.txt", Body=b"not yours")
        printed = keys(tmp_path, "create", "--bucket", "allowed")
        ak = re.search(r"access key: (\S+)", printed).group(1)
        sk = re.search(r"secret key: (\S+)", printed).group(1)
        scoped = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id=ak, aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
        scoped.put_object(Bucket="allowed", Key="mine.txt", Body=b"mine")
        assert scoped.get_object(Bucket="allowed", Key="mine.txt")["Body"].read() == b"mine"
        assert [b["Name"] for b in scoped.list_buckets()["Buckets"]] == ["allowed"]
        assert code(lambda: scoped.get_object(Bucket="other", Key="secret.txt")) == "AccessDenied"
        assert code(lambda: scoped.put_object(Bucket="other", Key="x", Body=b"x")) == "AccessDenied"
        assert code(lambda: scoped.create_bucket(Bucket="third")) == "AccessDenied"
        # Its secret is a bearer token for the JSON front end bound to its bucket.
        r = requests.get(f"http://127.0.0.1:{worker_port}/mine.txt", params={"action": "get"}, headers={"Authorization": f"Bearer {sk}"})
        assert r.status_code == 200 and r.content == b"mine"
        assert ak in keys(tmp_path, "list") and sk not in keys(tmp_path, "list")
        keys(tmp_path, "delete", ak)
        # A deleted key stops working within about a second (the daemon re-checks the file in the background).
        def refused() -> bool:
            try:
                scoped.get_object(Bucket="allowed", Key="mine.txt")
                return False
            except ClientError as e:
                return e.response["Error"]["Code"] == "InvalidAccessKeyId"
        assert until(refused)


def test_read_only_key_cannot_write(tmp_path):
    with own_daemon(tmp_path) as port:
        admin = client(port)
        admin.create_bucket(Bucket="docs")
        admin.put_object(Bucket="docs", Key="a.txt", Body=b"A")
        printed = keys(tmp_path, "create", "--read-only")
        ak = re.search(r"access key: (\S+)", printed).group(1)
        sk = re.search(r"secret key: (\S+)", printed).group(1)
        assert (tmp_path / "data" / "keys.json").stat().st_mode & 0o777 == 0o600
        ro = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id=ak, aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
        assert ro.get_object(Bucket="docs", Key="a.txt")["Body"].read() == b"A"
        assert "docs" in [b["Name"] for b in ro.list_buckets()["Buckets"]]
        assert code(lambda: ro.put_object(Bucket="docs", Key="b.txt", Body=b"B")) == "AccessDenied"
        assert code(lambda: ro.delete_object(Bucket="docs", Key="a.txt")) == "AccessDenied"
        assert code(lambda: ro.create_multipart_upload(Bucket="docs", Key="m")) == "AccessDenied"
        up = admin.create_multipart_upload(Bucket="docs", Key="m")["UploadId"]
        assert code(lambda: ro.upload_part(Bucket="docs", Key="m", UploadId=up, PartNumber=1, Body=b"x")) == "AccessDenied"
        assert admin.get_object(Bucket="docs", Key="a.txt")["Body"].read() == b"A"
        assert "read-only" in keys(tmp_path, "list")


# ---------------------------------------------------------------- corrupt state files

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_a_corrupt_keys_file_is_refused_and_left_as_it_is(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = b'[{"accessKey": "TKHALF", "secretKey": '
    (data / "keys.json").write_bytes(garbage)
    for args in (["keys", "create"], ["keys", "list"], ["keys", "delete", "TKHALF"]):
        r = run(*args, "--data-dir", str(data))
        assert r.returncode != 0, (args, r.stdout)
        assert "keys.json is not a valid keys file" in r.stderr, (args, r.stderr)
        assert (data / "keys.json").read_bytes() == garbage, args
    port = free_port()
    r = run("serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data),
            "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY)
    assert r.returncode != 0 and "keys.json is not a valid keys file" in r.stderr, r.stderr
    assert (data / "keys.json").read_bytes() == garbage


def test_a_keys_file_corrupted_while_serving_keeps_the_keys_read_before(tmp_path):
    with own_daemon(tmp_path) as port:
        client(port).create_bucket(Bucket="kept")
        printed = keys(tmp_path, "create")
        ak = re.search(r"access key: (\S+)", printed).group(1)
        sk = re.search(r"secret key: (\S+)", printed).group(1)
        user = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                            aws_access_key_id=ak, aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
        user.put_object(Bucket="kept", Key="a", Body=b"a")
        (tmp_path / "data" / "keys.json").write_bytes(b"not json at all")
        # Requests go on with the keys read before, while the daemon's next look at the file refuses it.
        assert until(lambda: user.get_object(Bucket="kept", Key="a")["Body"].read() == b"a"
                     and "keys file refused" in (tmp_path / "daemon.stderr").read_text())
        assert user.get_object(Bucket="kept", Key="a")["Body"].read() == b"a"


def test_a_corrupt_credentials_file_is_refused_not_replaced(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for garbage in (b"", b"{}", b'{"accessKey": "TKX", "secretKey": ""}', b"\x00\x01garbage"):
        (data / "credentials.json").write_bytes(garbage)
        r = run("serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(data))
        assert r.returncode != 0, (garbage, r.stdout)
        assert "credentials.json" in r.stderr and "fix it or move it away" in r.stderr, (garbage, r.stderr)
        assert (data / "credentials.json").read_bytes() == garbage


# ---------------------------------------------------------------- admin commands as root, the daemon as its own user

def test_keys_created_by_root_stay_readable_by_a_daemon_running_as_its_own_user():
    """The systemd layout: the daemon runs as its own user (here `nobody`) on a data directory it owns, and
    an operator runs `tessera keys create` as root. keys.json, new or replaced, keeps the daemon's owner and
    mode 0600, so the daemon takes the new key (before, root's rename left a root-owned 0600 file that the
    daemon could not read, and the key never worked)."""
    import os
    import shutil
    import signal
    import stat
    import tempfile
    from daemon import wait_listening
    if os.geteuid() != 0:
        pytest.fail("this test runs the daemon as nobody and the admin command as root: it must run as root (CI does)")
    nobody = 65534
    top = tempfile.mkdtemp(prefix="tessera-as-user-")   # not under pytest's tmp_path: that is root's alone (0700)
    try:
        os.chmod(top, 0o755)
        binary = os.path.join(top, "tessera")
        shutil.copy(BIN, binary)
        os.chmod(binary, 0o755)
        data = os.path.join(top, "data")
        os.mkdir(data, 0o700)
        os.chown(data, nobody, nobody)
        port = free_port()
        log = os.path.join(top, "daemon.stderr")

        def as_nobody():
            os.setgroups([])
            os.setgid(nobody)
            os.setuid(nobody)

        proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data, "--no-fsync",
                                 "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY],
                                stdout=subprocess.DEVNULL, stderr=open(log, "wb"), preexec_fn=as_nobody,
                                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, cwd=top)
        try:
            wait_listening(port, proc, lambda: open(log).read())
            client(port).create_bucket(Bucket="as-user")
            for round_ in ("new file", "replaced file"):
                printed = run("keys", "create", "--data-dir", data)
                assert printed.returncode == 0, printed.stderr
                st = os.stat(os.path.join(data, "keys.json"))
                assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (nobody, nobody, 0o600), (round_, st)
                assert not os.path.exists(os.path.join(data, "keys.json.tmp"))
                ak = re.search(r"access key: (\S+)", printed.stdout).group(1)
                sk = re.search(r"secret key: (\S+)", printed.stdout).group(1)
                user = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                    aws_access_key_id=ak, aws_secret_access_key=sk,
                                    config=Config(retries={"total_max_attempts": 1}))
                user.put_object(Bucket="as-user", Key=round_, Body=round_.encode())
                assert user.get_object(Bucket="as-user", Key=round_)["Body"].read() == round_.encode()
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0, open(log).read()
    finally:
        shutil.rmtree(top, ignore_errors=True)
