"""`tessera migrate`: a single node's metadata (SQLite) copied into PostgreSQL (issue 15, "Moving up").

One ``tessera serve`` on SQLite is filled by boto3 (inline and blob objects, keys whose NFC and NFD
spellings are distinct bytes, a completed multipart object, an upload in progress with two checksummed
parts, a lifecycle configuration) and stopped. Then: migrate; migrate again (the same database); a run
stopped with kill -9 halfway (``TESSERA_MIGRATE_PAUSE_AFTER_BATCHES``: it waits, after that many
batches, to be killed, so the kill lands mid-copy every time) and run again, into another database,
which ends equal to the first; serve with --metadata-url on the same data directory and read it all
back; fsck clean. The task API's tasks and files are copied too (a finished file and a task halfway).
And the refusals: beside a running serve, into a database that holds another namespace.

Databases are compared by dumping every table in primary-key order with psql (and the sequence).
PostgreSQL's server binaries are required: without them these tests fail (they never skip).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, stop_daemon, wait_listening
from itutil import KiB, MiB, random_bytes
from pgserver import PASSWORD, database, postgres, psql  # noqa: F401 (postgres: the module's throwaway server, a fixture)

pytestmark = pytest.mark.cluster

TABLES = {  # table: its primary key, as the dump orders it
    "buckets": "name", "bucket_config": "bucket, name", "objects": "bucket, key", "kept_versions": "bucket, key, version",
    "segments": "version, byte_offset",
    "uploads": "upload_id", "parts": "upload_id, part_number", "garbage": "blob", "upload_tasks": "id", "files": "id",
    "upload_tickets": "id",
}
BUCKET = "moving"
NFC = "caf\u00e9/na\u00efve.txt"
NFD = "cafe\u0301/nai\u0308ve.txt"
LIFECYCLE = {"Rules": [{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}]}


class Serve:
    """A `tessera serve` on `data` (SQLite there, or PostgreSQL with `url`)."""

    def __init__(self, data: Path, log: Path, url: str | None = None, extra: tuple[str, ...] = ()):
        self.port = free_port()
        self.log = log
        extra = (["--metadata-url", url] if url else []) + list(extra)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(data), "--access-key", ACCESS_KEY,
             "--secret-key", SECRET_KEY, "--no-fsync", *extra],
            stdout=subprocess.DEVNULL, stderr=open(log, "wb"), stdin=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, log.read_text)
        self.s3 = client(self.port)

    def stop(self) -> None:
        stop_daemon(self.proc, self.log, timeout=40)


def dump(url: str) -> dict[str, str]:
    """Every row of every table the copy writes, in key order, and the version sequence."""
    d = {t: psql(url, f"SELECT t::text FROM {t} t ORDER BY {key}") for t, key in TABLES.items()}
    d["object_versions"] = psql(url, "SELECT last_value, is_called FROM object_versions")
    return d


def counts(url: str) -> dict[str, int]:
    return {t: int(psql(url, f"SELECT count(*) FROM {t}")) for t in TABLES}


def has_tables(url: str) -> bool:
    return psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'objects'").strip() != "0"


def sqlite_counts(data: Path) -> dict[str, int]:
    """Each table's rows as PostgreSQL keeps them. A multipart object SQLite keeps as a part manifest (its
    upload's part rows, left in place) has those rows as its segments there."""
    db = sqlite3.connect(f"file:{data / 'metadata.sqlite'}?mode=ro", uri=True)
    try:
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        kept = db.execute("SELECT count(*) FROM parts WHERE upload_id IN (SELECT upload_id FROM manifests)").fetchone()[0]
        counts["segments"] += kept
        counts["parts"] -= kept
        return counts
    finally:
        db.close()


def sqlite_manifests(data: Path) -> int:
    db = sqlite3.connect(f"file:{data / 'metadata.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM manifests").fetchone()[0]
    finally:
        db.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def migrate(data: Path, url: str, *extra: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, "migrate", "--data-dir", str(data), "--to", url, *extra],
                          capture_output=True, text=True, timeout=timeout, env=env)


def summary(stdout: str) -> dict[str, tuple[int, int, int]]:
    """The final table: {table: (rows, copied, there already)}."""
    rows = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] in TABLES:
            rows[fields[0]] = (int(fields[1]), int(fields[2]), int(fields[3]))
    return rows


def small_node(root: Path, bucket: str, *, created_gap: float = 0) -> Path:
    """A stopped single node holding `bucket` with one object."""
    data = root / ("node-" + uuid.uuid4().hex[:8])
    if created_gap:
        time.sleep(created_gap)
    s = Serve(data, root / (data.name + ".log"))
    try:
        s.s3.create_bucket(Bucket=bucket)
        s.s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    finally:
        s.stop()
    return data


def parts_view(r: dict) -> dict:
    """What ListParts says of an upload and its parts (not the request's metadata)."""
    return {"ChecksumAlgorithm": r.get("ChecksumAlgorithm"), "ChecksumType": r.get("ChecksumType"),
            "Parts": [(p["PartNumber"], p["ETag"], p["Size"], p.get("ChecksumCRC32")) for p in r["Parts"]],
            "LastModified": [p["LastModified"] for p in r["Parts"]]}


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A stopped single node with a varied namespace, and what every object holds."""
    root = tmp_path_factory.mktemp("migrate")
    data = root / "data"
    s = Serve(data, root / "sqlite-serve.log")
    objects: dict[str, bytes] = {}
    etags: dict[str, str] = {}
    try:
        s3 = s.s3
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration=LIFECYCLE)
        bodies = {NFC: b"nfc " + random_bytes(100), NFD: b"nfd " + random_bytes(200), "\u65e5\u672c/\u2603 snow": random_bytes(3 * KiB),
                  "big/blob.bin": random_bytes(3 * MiB), "big/just-over-inline": random_bytes(32 * KiB + 1)}
        bodies.update({f"small/{i:03d}": random_bytes(64 + i) for i in range(12)})
        for key, body in bodies.items():
            etags[key] = s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata={"n": key.encode("utf-8").hex()})["ETag"]
            objects[key] = body
        # An overwrite (its first version's blob becomes garbage, collected or not by the time serve stops).
        objects["big/blob.bin"] = random_bytes(2 * MiB)
        etags["big/blob.bin"] = s3.put_object(Bucket=BUCKET, Key="big/blob.bin", Body=objects["big/blob.bin"])["ETag"]
        # A completed multipart object.
        # With CRC32 part checksums: each segment carries its part's, which the copy must keep.
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="multi/done", ChecksumAlgorithm="CRC32")["UploadId"]
        parts = [random_bytes(5 * MiB), random_bytes(1 * MiB + 3)]
        sent = [s3.upload_part(Bucket=BUCKET, Key="multi/done", UploadId=up, PartNumber=n, Body=p, ChecksumAlgorithm="CRC32")
                for n, p in enumerate(parts, 1)]
        done = [{"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]} for n, r in enumerate(sent, 1)]
        etags["multi/done"] = s3.complete_multipart_upload(Bucket=BUCKET, Key="multi/done", UploadId=up,
                                                           MultipartUpload={"Parts": done})["ETag"]
        objects["multi/done"] = b"".join(parts)
        # An upload in progress: two parts with CRC32 checksums (their JSON column changes shape on the way).
        pending_parts = [random_bytes(5 * MiB), random_bytes(700 * KiB)]
        pending = s3.create_multipart_upload(Bucket=BUCKET, Key=NFD + ".pending", ChecksumAlgorithm="CRC32")["UploadId"]
        pending_etags = [s3.upload_part(Bucket=BUCKET, Key=NFD + ".pending", UploadId=pending, PartNumber=n, Body=p,
                                        ChecksumAlgorithm="CRC32") for n, p in enumerate(pending_parts, 1)]
        listed_before = parts_view(s3.list_parts(Bucket=BUCKET, Key=NFD + ".pending", UploadId=pending))
    finally:
        s.stop()
    # On the stopped node: a bucket another user owns, and an upload ticket (both must move too).
    for args in (["buckets", "create", "owned-by-alice", "--owner", "alice"], ["tickets", "create", "--bucket", BUCKET, "--max-files", "3"]):
        out = subprocess.run([BIN, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    return {"multi_part_checksums": [r["ChecksumCRC32"] for r in sent],
            "listed_parts": listed_before, "root": root, "data": data, "objects": objects, "etags": etags, "pending": pending,
            "pending_parts": pending_parts, "pending_etags": pending_etags}


def test_migrate_twice_killed_and_again_then_serve_from_postgres(node, postgres):
    data = node["data"]
    sqlite_file = data / "metadata.sqlite"
    before = file_digest(sqlite_file)
    expected = sqlite_counts(data)
    assert expected["objects"] == len(node["objects"]) and expected["uploads"] == 1 and expected["parts"] == 2
    assert expected["bucket_config"] == 1 and expected["segments"] > expected["objects"]   # the multipart object has two
    assert sqlite_manifests(data) == 1   # which SQLite keeps as its upload's part rows

    moved = database(postgres, "moved")
    first = migrate(data, moved)
    assert first.returncode == 0, first.stderr
    assert "migrate: objects:" in first.stderr   # progress lines
    assert summary(first.stdout) == {t: (n, n, 0) for t, n in expected.items()}, first.stdout
    assert PASSWORD not in first.stdout + first.stderr
    once = dump(moved)
    assert counts(moved) == expected
    assert expected["upload_tickets"] == 1
    assert psql(moved, "SELECT owner FROM buckets WHERE name = 'owned-by-alice'").strip() == "alice"

    again = migrate(data, moved)
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout) == {t: (n, 0, n) for t, n in expected.items()}, again.stdout
    assert dump(moved) == once

    # Stopped for good after three batches of two rows, then run again: the same database as one clean run.
    killed = database(postgres, "killed")
    proc = subprocess.Popen([BIN, "migrate", "--data-dir", str(data), "--to", killed, "--batch-rows", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TESSERA_MIGRATE_PAUSE_AFTER_BATCHES": "3"})
    seen = ""
    deadline = time.monotonic() + 60
    while "paused after 3 batches" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line, f"migrate ended before its pause: {seen}"
        seen += line
    assert "paused after 3 batches" in seen, seen
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = counts(killed)
    # Batches stop at a table's end: buckets (1 row), bucket_config (1 row), then the first two objects.
    assert partial == {**{t: 0 for t in TABLES}, "buckets": 2, "bucket_config": 1, "objects": 2}, partial
    rerun = migrate(data, killed, "--batch-rows", "7")
    assert rerun.returncode == 0, rerun.stderr
    assert summary(rerun.stdout) == {t: (n, n - partial[t], partial[t]) for t, n in expected.items()}, rerun.stdout
    assert dump(killed) == once

    # The SQLite database is as it was: it is the way back.
    assert file_digest(sqlite_file) == before

    # Served from PostgreSQL over the same data directory.
    max_copied = int(psql(moved, "SELECT max(version) FROM objects"))
    s = Serve(data, node["root"] / "pg-serve.log", url=moved)
    try:
        s3 = s.s3
        listed = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed += [o["Key"] for o in page.get("Contents", [])]
        assert [k.encode() for k in listed] == sorted(k.encode() for k in node["objects"])   # bytewise order, NFC and NFD both
        for key, body in node["objects"].items():
            got = s3.get_object(Bucket=BUCKET, Key=key)
            assert got["Body"].read() == body, key
            assert got["ETag"] == node["etags"][key], key
        assert s3.head_object(Bucket=BUCKET, Key=NFC)["Metadata"] == {"n": NFC.encode().hex()}
        for n, checksum in enumerate(node["multi_part_checksums"], 1):
            part = s3.head_object(Bucket=BUCKET, Key="multi/done", PartNumber=n, ChecksumMode="ENABLED")
            assert part["ChecksumCRC32"] == checksum and part["PartsCount"] == 2, part
        assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]["ID"] == "expire-logs"

        key, upload = NFD + ".pending", node["pending"]
        listed_parts = parts_view(s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload))
        assert listed_parts == node["listed_parts"]
        assert listed_parts["ChecksumAlgorithm"] == "CRC32"
        assert listed_parts["Parts"] == [(n, e["ETag"], len(b), e["ChecksumCRC32"])
                                         for n, (e, b) in enumerate(zip(node["pending_etags"], node["pending_parts"]), 1)]
        s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload, MultipartUpload={"Parts": [
            {"PartNumber": n, "ETag": e["ETag"], "ChecksumCRC32": e["ChecksumCRC32"]} for n, e in enumerate(node["pending_etags"], 1)]})
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"".join(node["pending_parts"])

        new = b"after the move " + random_bytes(50)
        s3.put_object(Bucket=BUCKET, Key=NFC, Body=new)
        assert s3.get_object(Bucket=BUCKET, Key=NFC)["Body"].read() == new
        assert s3.get_object(Bucket=BUCKET, Key=NFD)["Body"].read() == node["objects"][NFD]
        version = int(psql(moved, f"SELECT version FROM objects WHERE key = decode('{base64.b64encode(NFC.encode()).decode()}', 'base64')"))
        assert version > max_copied
    finally:
        s.stop()
    fsck = subprocess.run([BIN, "fsck", "--data-dir", str(data), "--metadata-url", moved, "--min-age", "0"],
                          capture_output=True, text=True, timeout=120)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "fsck: no problems" in fsck.stdout
    assert file_digest(sqlite_file) == before

    # Once a gateway has written to it, migrating again is refused (the overwritten object's row differs).
    served = dump(moved)
    late = migrate(data, moved)
    assert late.returncode != 0
    assert "holds another namespace: its objects row with bucket \"moving\", key 0x" in late.stderr, late.stderr
    assert dump(moved) == served


def test_migrate_refuses_beside_a_running_serve(tmp_path, postgres):
    data = tmp_path / "data"
    s = Serve(data, tmp_path / "serve.log")
    try:
        s.s3.create_bucket(Bucket="busy")
        target = database(postgres, "beside")
        r = migrate(data, target)
        assert r.returncode != 0
        assert "tessera migrate needs the data directory to itself" in r.stderr and "stop it first" in r.stderr, r.stderr
        assert not has_tables(target)   # not even opened
        s.s3.put_object(Bucket="busy", Key="still", Body=b"serving")   # the daemon goes on
    finally:
        s.stop()


TASK_CHUNK = 100 * 1024
TASK_ARGS = ("--tasks-bucket", "task-files", "--tasks-anonymous", "--min-part-size", str(64 * 1024))


def create_task(base: str, data: bytes) -> dict:
    r = requests.post(base + "/upload/create", json={"hash": hashlib.md5(data).hexdigest(), "file_name": "report.bin",
                                                     "file_size": len(data), "chunk_size": TASK_CHUNK})
    assert r.status_code == 200, r.text
    return r.json()


def send_chunk(base: str, task: dict, data: bytes, i: int) -> None:
    r = requests.post(f"{base}/upload/chunk/{task['task_id']}/{i}",
                      files={"chunk": ("blob", data[i * TASK_CHUNK:(i + 1) * TASK_CHUNK])})
    assert r.status_code == 200, r.text


def test_migrate_copies_task_api_rows(tmp_path, postgres):
    """A finished file and a task halfway through, made on SQLite, are served from PostgreSQL after the move."""
    data = tmp_path / "data"
    port = free_port()
    s = Serve(data, tmp_path / "sqlite.log", extra=("--tasks-listen", f"127.0.0.1:{port}", *TASK_ARGS))
    base = f"http://127.0.0.1:{port}/api/files"
    finished, pending = os.urandom(TASK_CHUNK + 10), os.urandom(2 * TASK_CHUNK + 5)
    try:
        t = create_task(base, finished)
        for i in range(2):
            send_chunk(base, t, finished, i)
        f = requests.post(f"{base}/upload/complete/{t['task_id']}").json()
        p = create_task(base, pending)
        send_chunk(base, p, pending, 0)
    finally:
        s.stop()
    assert sqlite_counts(data)["upload_tasks"] == 1 and sqlite_counts(data)["files"] == 1

    target = database(postgres, "tasks")
    r = migrate(data, target)
    assert r.returncode == 0, r.stderr
    got = summary(r.stdout)
    assert got["upload_tasks"] == (1, 1, 0) and got["files"] == (1, 1, 0), r.stdout

    port = free_port()
    s = Serve(data, tmp_path / "pg.log", url=target, extra=("--tasks-listen", f"127.0.0.1:{port}", *TASK_ARGS))
    base = f"http://127.0.0.1:{port}/api/files"
    try:
        assert requests.get(f"{base}/{f['id']}").content == finished
        again = requests.post(base + "/upload/create", json={"hash": hashlib.sha256(finished).hexdigest(), "file_name": "x",
                                                             "file_size": len(finished)}).json()
        assert again["file_exists"] is True and again["file"]["id"] == f["id"]
        for i in (1, 2):
            send_chunk(base, p, pending, i)
        done = requests.post(f"{base}/upload/complete/{p['task_id']}")
        assert done.status_code == 200, done.text
        assert requests.get(f"{base}/{done.json()['id']}").content == pending
    finally:
        s.stop()


def test_migrate_refuses_a_target_holding_another_namespace(tmp_path, postgres):
    target = database(postgres, "other")
    a = small_node(tmp_path, "shared-name")
    assert migrate(a, target).returncode == 0
    before = dump(target)

    # The same bucket name, created at another time: a row with the key of a source row and other values.
    b = small_node(tmp_path, "shared-name", created_gap=1.1)
    r = migrate(b, target)
    assert r.returncode != 0
    assert "holds another namespace: its buckets row with name \"shared-name\" differs" in r.stderr, r.stderr
    assert dump(target) == before

    # Rows the source does not have.
    c = small_node(tmp_path, "another-bucket")
    r = migrate(c, target)
    assert r.returncode != 0
    assert "holds another namespace: 1 buckets row(s) that" in r.stderr, r.stderr
    assert dump(target) == before


def test_migrate_reads_the_daemons_config_file(tmp_path, postgres):
    """`tessera migrate --config FILE` finds the node and its target as `serve` would: the file's data-dir and
    metadata-url; TESSERA_DATA_DIR and --to override them; a bad file is refused, naming the key."""
    target = database(postgres, "fromconfig")
    data = small_node(tmp_path, "configured")
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"data-dir": str(tmp_path / "elsewhere"), "metadata-url": target}))
    # The file's data-dir has no node: refused, and nothing copied.
    r = subprocess.run([BIN, "migrate", "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and not has_tables(target), r.stderr
    # TESSERA_DATA_DIR beats the file; the target is the file's metadata-url.
    r = subprocess.run([BIN, "migrate", "--config", str(config)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, TESSERA_DATA_DIR=str(data)))
    assert r.returncode == 0, r.stderr
    assert summary(r.stdout)["buckets"] == (1, 1, 0)
    assert counts(target)["objects"] == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"metadata_url": "postgres://x"}')
    r = subprocess.run([BIN, "migrate", "--config", str(bad), "--data-dir", str(data)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and 'unknown key "metadata_url" (did you mean "metadata-url"?)' in r.stderr, r.stderr


def test_serve_refuses_a_newer_sqlite_schema(tmp_path):
    data = small_node(tmp_path, "versioned")
    db = sqlite3.connect(data / "metadata.sqlite")
    current = db.execute("PRAGMA user_version").fetchone()[0]
    assert current >= 1
    db.execute(f"PRAGMA user_version = {current + 1}")
    db.commit()
    db.close()
    before = file_digest(data / "metadata.sqlite")
    leftover = data / "tmp" / "0123456789abcdef.tmp"   # a crash's temporary: the start-up sweep would remove it
    leftover.write_bytes(b"x")
    r = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(data), "--access-key", ACCESS_KEY,
                        "--secret-key", SECRET_KEY], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert (f"the SQLite metadata schema is version {current + 1}, newer than this binary's {current}: upgrade tessera"
            in r.stderr), r.stderr
    assert file_digest(data / "metadata.sqlite") == before
    assert leftover.exists()   # refused before the sweep
    # The admin commands refuse it too.
    fsck = subprocess.run([BIN, "fsck", "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
    assert fsck.returncode != 0 and f"version {current + 1}, newer than this binary's {current}" in fsck.stderr, fsck.stderr
    assert file_digest(data / "metadata.sqlite") == before
