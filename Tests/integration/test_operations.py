"""Operating the daemon: config precedence and validation, /metrics, health, access logs, admin commands, fsck."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, own_daemon

pytestmark = pytest.mark.core


# ---------------------------------------------------------------- helpers

def wait_http(url: str, timeout: float = 15.0) -> requests.Response:
    deadline = time.time() + timeout
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            assert time.time() < deadline, f"{url} did not answer"
            time.sleep(0.1)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def scrape(admin: int) -> dict[tuple[str, frozenset], float]:
    """Prometheus text → {(name, frozenset(labels)): value}."""
    r = wait_http(f"http://127.0.0.1:{admin}/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def tessera(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def blob_files(data: Path) -> set[Path]:
    return {p for p in (data / "blobs").rglob("*") if p.is_file()}


@contextlib.contextmanager
def run_serve(tmp_path: Path, *args: str, env: dict | None = None):
    """`tessera serve ARGS` with a clean TESSERA_* environment plus `env`; yields the banner line once it is printed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    out, err = tmp_path / "serve.stdout", tmp_path / "serve.stderr"
    proc = subprocess.Popen([BIN, "serve", *args], stdout=open(out, "wb"), stderr=open(err, "wb"),
                            stdin=subprocess.DEVNULL, env={**base, **(env or {})})
    try:
        deadline = time.time() + 30
        while "Tessera listening on" not in out.read_text():
            assert proc.poll() is None, err.read_text()
            assert time.time() < deadline, "no banner"
            time.sleep(0.1)
        yield out.read_text().splitlines()[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, err.read_text()


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


# ---------------------------------------------------------------- metrics

def test_metrics_count_requests_by_operation_and_status(tmp_path):
    admin = free_port()
    with own_daemon(tmp_path, "--admin-listen", f"127.0.0.1:{admin}") as port:
        before = scrape(admin)
        assert value(before, "tessera_sweeper_runs_total", sweeper="startup") == 1
        assert value(before, "tessera_disk_free_bytes") > 0
        assert ("tessera_s3_requests_in_flight", frozenset()) in before

        s3 = client(port)
        body = os.urandom(12345)
        s3.create_bucket(Bucket="metrics")
        s3.put_object(Bucket="metrics", Key="a", Body=body)
        assert s3.get_object(Bucket="metrics", Key="a")["Body"].read() == body
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="metrics", Key="missing")
        up = s3.create_multipart_upload(Bucket="metrics", Key="mp")
        s3.upload_part(Bucket="metrics", Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"x" * 1000)
        # A request whose signature fails is still counted under its operation, not "Unknown".
        import boto3
        forger = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY + "x")
        with pytest.raises(forger.exceptions.ClientError):
            forger.get_object(Bucket="metrics", Key="a")

        after = scrape(admin)
        inc = lambda name, **l: value(after, name, **l) - value(before, name, **l)  # noqa: E731
        assert inc("tessera_s3_requests_total", operation="CreateBucket", status="200") == 1
        assert inc("tessera_s3_requests_total", operation="PutObject", status="200") == 1
        assert inc("tessera_s3_requests_total", operation="GetObject", status="200") == 1
        assert inc("tessera_s3_requests_total", operation="GetObject", status="404") == 1
        assert inc("tessera_s3_requests_total", operation="GetObject", status="403") == 1
        assert inc("tessera_s3_requests_total", operation="UploadPart", status="200") == 1
        assert inc("tessera_s3_received_bytes_total", operation="PutObject") == len(body)
        assert inc("tessera_s3_received_bytes_total", operation="UploadPart") == 1000
        assert inc("tessera_s3_sent_bytes_total", operation="GetObject") >= len(body)
        assert inc("tessera_s3_request_duration_seconds_count", operation="PutObject") == 1
        assert value(after, "tessera_s3_request_duration_seconds_bucket", operation="GetObject", le="+Inf") == 3  # 200, 404, 403
        assert value(after, "tessera_s3_requests_in_flight") == 0
        assert value(after, "tessera_multipart_uploads_active") == 1
        assert value(after, "tessera_multipart_parts_stored") == 1
        assert value(after, "tessera_multipart_parts_stored_bytes") == 1000
        assert value(after, "tessera_objects_stored") == 1

        s3.abort_multipart_upload(Bucket="metrics", Key="mp", UploadId=up["UploadId"])
        last = scrape(admin)
        assert value(last, "tessera_multipart_uploads_active") == 0
        assert value(last, "tessera_s3_requests_total", operation="AbortMultipartUpload", status="204") == 1


def test_sweeper_runs_are_counted(tmp_path):
    admin = free_port()
    with own_daemon(tmp_path, "--admin-listen", f"127.0.0.1:{admin}", "--sweep-interval", "0.2"):
        deadline = time.time() + 10
        while value(scrape(admin), "tessera_sweeper_runs_total", sweeper="uploads") < 3:
            assert time.time() < deadline
            time.sleep(0.2)


# ---------------------------------------------------------------- health

def test_health_live_and_ready(tmp_path):
    admin = free_port()
    with own_daemon(tmp_path, "--admin-listen", f"127.0.0.1:{admin}"):
        live = wait_http(f"http://127.0.0.1:{admin}/health/live")
        assert live.status_code == 200
        ready = requests.get(f"http://127.0.0.1:{admin}/health/ready", timeout=5)
        assert ready.status_code == 200 and "metadata: ok" in ready.text and "data-dir: ok" in ready.text, ready.text
        # The data directory disappears (an unmounted volume): not ready, but still live.
        data = tmp_path / "data"
        data.rename(tmp_path / "data.away")
        try:
            gone = requests.get(f"http://127.0.0.1:{admin}/health/ready", timeout=5)
            assert gone.status_code == 503 and "data-dir: FAIL" in gone.text, gone.text
            assert requests.get(f"http://127.0.0.1:{admin}/health/live", timeout=5).status_code == 200
        finally:
            (tmp_path / "data.away").rename(data)
        assert requests.get(f"http://127.0.0.1:{admin}/health/ready", timeout=5).status_code == 200
        assert requests.get(f"http://127.0.0.1:{admin}/nope", timeout=5).status_code == 404


# ---------------------------------------------------------------- logs

def test_access_log_has_the_fields_and_never_a_secret(tmp_path):
    tasks, worker = free_port(), free_port()
    with own_daemon(tmp_path, "--log-format", "json", "--tasks-listen", f"127.0.0.1:{tasks}", "--tasks-token", "tasks-b3arer-tok",
                    "--worker-listen", f"127.0.0.1:{worker}", "--worker-token", "worker-b3arer-tok") as port:
        s3 = client(port)
        s3.create_bucket(Bucket="logs")
        put = s3.put_object(Bucket="logs", Key="dir/file name.txt", Body=b"hello")
        request_id = put["ResponseMetadata"]["RequestId"]
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "logs", "Key": "dir/file name.txt"}, ExpiresIn=300)
        assert "Signature=" in url
        assert requests.get(url, timeout=10).content == b"hello"
        bad = requests.get(url.replace("Signature=", "Signature=0"), timeout=10)
        assert bad.status_code == 403
        # SigV2 header auth ("AWS AK:signature") and a wrong secret.
        from botocore.config import Config
        import boto3
        v2 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(signature_version="s3", retries={"total_max_attempts": 1}))
        assert v2.get_object(Bucket="logs", Key="dir/file name.txt")["Body"].read() == b"hello"
        wrong = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                             aws_access_key_id=ACCESS_KEY, aws_secret_access_key="not-the-secret-at-all",
                             config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(Exception):
            wrong.list_objects_v2(Bucket="logs")
        # The JSON front ends: bearer tokens and a file password.
        base = f"http://127.0.0.1:{tasks}/api/files"
        data = os.urandom(1000)
        auth = {"Authorization": "Bearer tasks-b3arer-tok"}
        t = requests.post(base + "/upload/create", headers=auth, timeout=10, json={
            "hash": hashlib.md5(data).hexdigest(), "file_name": "f.bin", "file_size": len(data), "chunk_size": 1000,
            "encrypt_password": "s3cret-file-passw0rd"}).json()
        assert requests.post(f"{base}/upload/chunk/{t['task_id']}/0", headers=auth, files={"chunk": ("blob", data)},
                             timeout=10).status_code == 200
        f = requests.post(f"{base}/upload/complete/{t['task_id']}", headers=auth, timeout=10).json()
        got = requests.get(f"{base}/{f['id']}", headers={**auth, "X-File-Password": "s3cret-file-passw0rd"}, timeout=10)
        assert got.content == data
        assert requests.post(f"http://127.0.0.1:{worker}/k", params={"action": "mpu-create"},
                             headers={"Authorization": "Bearer worker-b3arer-tok"}, timeout=10).status_code == 200
        time.sleep(0.3)  # the last access line is written once the body is sent

    log = (tmp_path / "daemon.stderr").read_text()
    for secret in (SECRET_KEY, "Signature=", "X-Amz-Signature", "tasks-b3arer-tok", "worker-b3arer-tok",
                   "s3cret-file-passw0rd", "not-the-secret-at-all", "AWS4-HMAC-SHA256 Credential"):
        assert secret not in log, f"{secret!r} appears in the daemon's log"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(lines) == len(log.splitlines()), "every stderr line is one JSON object"
    access = [l for l in lines if l["msg"] == "access"]
    fields = {"ts", "level", "request-id", "key-id", "op", "method", "bucket", "key", "status", "bytes-in", "bytes-out", "duration-ms"}
    for line in access:
        assert fields <= set(line), line
    put_line = next(l for l in access if l["request-id"] == request_id)
    assert put_line["op"] == "PutObject" and put_line["status"] == "200" and put_line["key-id"] == ACCESS_KEY
    assert put_line["bucket"] == "logs" and put_line["key"] == "dir/file name.txt" and put_line["bytes-in"] == "5"
    assert float(put_line["duration-ms"]) >= 0
    gets = [l for l in access if l["op"] == "GetObject" and l["status"] == "200"]
    assert len(gets) == 2 and all(l["bytes-out"] == "5" for l in gets)
    assert any(l["status"] == "403" for l in access)


def test_default_log_format_is_logfmt(tmp_path):
    with own_daemon(tmp_path) as port:
        client(port).list_buckets()
        time.sleep(0.2)
    lines = (tmp_path / "daemon.stderr").read_text().splitlines()
    access = [l for l in lines if " msg=access " in l]
    assert len(access) == 1 and "op=ListBuckets" in access[0] and "status=200" in access[0] and access[0].startswith("ts=")


# ---------------------------------------------------------------- configuration

def test_config_file_then_environment_then_flags(tmp_path):
    p_file, p_env, p_flag = free_port(), free_port(), free_port()
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({
        "listen": f"127.0.0.1:{p_file}", "data-dir": str(tmp_path / "data"), "region": "file-region", "limits": "r2",
        "access-key": ACCESS_KEY, "secret-key": SECRET_KEY, "fsync": False, "log-level": "warning",
    }))
    with run_serve(tmp_path, "--config", str(config)) as banner:
        assert f"127.0.0.1:{p_file}" in banner and "region: file-region" in banner and "limits: r2" in banner
        assert listening(p_file)
    env = {"TESSERA_LISTEN": f"127.0.0.1:{p_env}", "TESSERA_REGION": "env-region", "TESSERA_CONFIG": str(config)}
    with run_serve(tmp_path, env=env) as banner:
        assert f"127.0.0.1:{p_env}" in banner and "region: env-region" in banner and "limits: r2" in banner
        assert listening(p_env) and not listening(p_file)
    with run_serve(tmp_path, "--listen", f"127.0.0.1:{p_flag}", "--region", "flag-region", env=env) as banner:
        assert f"127.0.0.1:{p_flag}" in banner and "region: flag-region" in banner and "limits: r2" in banner
        assert listening(p_flag) and not listening(p_env)
        # The file's data dir and credentials are in force: the object lands under it, signed with the file's key.
        s3 = client(p_flag)
        s3.create_bucket(Bucket="layered")
        assert (tmp_path / "data" / "metadata.sqlite").exists()
    # The file's log level (warning) holds: no access lines.
    assert "msg=access" not in (tmp_path / "serve.stderr").read_text()


@pytest.mark.parametrize("content, words", [
    ('{"listen": "127.0.0.1:9000", "colour": "blue"}', ['unknown key "colour"']),
    ('{"data_dir": "/tmp/x"}', ['unknown key "data_dir"', 'did you mean "data-dir"']),
    ('{"max-parts": "ten"}', ['"max-parts"', "integer"]),
    ('{"fsync": "yes please"}', ['"fsync"', "true or false"]),
    ('{"listen": "localhost"}', ["listen", "HOST:PORT", "tessera.json"]),
    ('{"admin-listen": "127.0.0.1:99999"}', ["admin-listen", "HOST:PORT"]),
    ('{"listen": ', ["not valid JSON"]),
])
def test_invalid_config_file_exits_nonzero_naming_the_key(tmp_path, content, words):
    config = tmp_path / "tessera.json"
    config.write_text(content)
    r = tessera("serve", "--config", str(config), "--data-dir", str(tmp_path / "data"), timeout=20)
    assert r.returncode != 0
    for w in words:
        assert w in r.stderr, r.stderr
    assert not (tmp_path / "data").exists(), "nothing starts on a bad configuration"


def test_every_serve_flag_is_a_config_key(tmp_path):
    flags = set(re.findall(r"^\s+--([a-z][a-z-]*)", tessera("serve", "--help").stdout, re.M))
    flags -= {"config", "help", "version"}  # --version: the command's, not a setting
    flags = {f[3:] if f.startswith("no-") else f for f in flags}
    assert {"listen", "data-dir", "admin-listen", "log-format", "fsync", "tls-cert"} <= flags
    config = tmp_path / "tessera.json"
    config.write_text('{"no-such-key": 1}')
    known = tessera("serve", "--config", str(config)).stderr.split("known keys:")[1]
    known = {k.strip() for k in known.split(",")}
    assert flags == known, (flags - known, known - flags)   # each key a flag, each flag a key


def test_invalid_environment_and_missing_file(tmp_path):
    r = tessera("serve", env={"TESSERA_MAX_CONNECTIONS": "lots"}, timeout=20)
    assert r.returncode != 0 and "TESSERA_MAX_CONNECTIONS" in r.stderr and "integer" in r.stderr
    r = tessera("serve", "--config", str(tmp_path / "absent.json"), timeout=20)
    assert r.returncode != 0 and "absent.json" in r.stderr


# ---------------------------------------------------------------- admin commands

def test_buckets_and_uploads_commands_beside_a_running_daemon(tmp_path):
    data = str(tmp_path / "data")
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        r = tessera("buckets", "create", "from-cli", "--data-dir", data)
        assert r.returncode == 0, r.stderr
        assert "from-cli" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        s3.put_object(Bucket="from-cli", Key="k", Body=b"12345")
        listing = tessera("buckets", "list", "--data-dir", data)
        assert listing.returncode == 0 and re.search(r"^from-cli\s+\S+\s+us-east-1\s+1\s+5\s+0\s+tessera$", listing.stdout, re.M), listing.stdout
        # A bucket made for another user is that user's: not listed to the daemon's key (the default user).
        assert tessera("buckets", "create", "for-alice", "--owner", "alice", "--data-dir", data).returncode == 0
        assert re.search(r"^for-alice\s.*\salice$", tessera("buckets", "list", "--data-dir", data).stdout, re.M)
        assert "for-alice" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert tessera("buckets", "create", "bad-owner", "--owner", "no/slash", "--data-dir", data).returncode != 0
        r = tessera("buckets", "delete", "from-cli", "--data-dir", data)
        assert r.returncode != 0 and "not empty" in r.stderr
        assert tessera("buckets", "create", "Not_Valid", "--data-dir", data).returncode != 0

        up = s3.create_multipart_upload(Bucket="from-cli", Key="big")
        s3.upload_part(Bucket="from-cli", Key="big", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 100)
        blobs_with_part = blob_files(tmp_path / "data")
        uploads = tessera("uploads", "list", "--data-dir", data)
        assert up["UploadId"] in uploads.stdout and "big" in uploads.stdout, uploads.stdout
        assert up["UploadId"] not in tessera("uploads", "list", "--older-than", "3600", "--data-dir", data).stdout
        assert tessera("uploads", "abort", "--data-dir", data).returncode != 0  # no selection: refused
        assert tessera("uploads", "abort", "--older-than", "3600", "--data-dir", data).stdout.startswith("aborted 0 uploads")
        r = tessera("uploads", "abort", "--older-than", "0", "--data-dir", data)
        assert r.returncode == 0 and "aborted 1 upload," in r.stdout and "deleted 1 part blob" in r.stdout, r.stdout + r.stderr
        assert s3.list_multipart_uploads(Bucket="from-cli").get("Uploads", []) == []
        assert len(blobs_with_part) - len(blob_files(tmp_path / "data")) == 1

        s3.delete_object(Bucket="from-cli", Key="k")
        r = tessera("buckets", "delete", "from-cli", "--data-dir", data)
        assert r.returncode == 0, r.stderr
        assert "from-cli" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert tessera("buckets", "list", "--data-dir", str(tmp_path / "nowhere")).returncode != 0


def test_fsck_finds_orphans_and_missing_blobs_and_repairs_on_request(tmp_path):
    data = tmp_path / "data"
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="fsck")
        # Bodies over the inline limit (32 KiB): files, so one can go missing.
        s3.put_object(Bucket="fsck", Key="kept", Body=b"k" * 40_000)
        before = blob_files(data)
        s3.put_object(Bucket="fsck", Key="lost", Body=b"l" * 40_000)
        (lost_blob,) = blob_files(data) - before
        assert tessera("fsck", "--data-dir", str(data)).returncode == 0

        # An orphan (old enough to be one), a young unreferenced file (maybe mid-write), a missing blob.
        orphan = data / "blobs" / "ab" / "cd" / ("abcd" + "0" * 28)
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(b"nobody names me")
        os.utime(orphan, (time.time() - 3600, time.time() - 3600))
        young = data / "blobs" / "ab" / "cd" / ("abcd" + "1" * 28)
        young.write_bytes(b"maybe mid-write")
        lost_blob.unlink()

        r = tessera("fsck", "--data-dir", str(data))
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"orphan blob {orphan.name}" in r.stdout
        assert young.name not in r.stdout and "1 unreferenced but younger" in r.stdout
        assert f"missing blob {lost_blob.name} of object s3://fsck/lost" in r.stdout
        assert "integrity_check: ok" in r.stdout
        assert "\r" not in r.stderr  # no progress line when stderr is not a terminal
        assert orphan.exists()

        r = tessera("fsck", "--repair", "--data-dir", str(data))
        assert r.returncode == 1 and "deleted 1 orphan" in r.stdout, r.stdout
        assert not orphan.exists() and young.exists()
        assert s3.head_object(Bucket="fsck", Key="lost")  # references are removed only when asked

        r = tessera("fsck", "--repair", "--drop-missing", "--data-dir", str(data))
        assert r.returncode == 0 and "removed 1 object(s)" in r.stdout, r.stdout
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket="fsck", Key="lost")
        assert s3.get_object(Bucket="fsck", Key="kept")["Body"].read() == b"k" * 40_000
        assert tessera("fsck", "--data-dir", str(data)).returncode == 0
