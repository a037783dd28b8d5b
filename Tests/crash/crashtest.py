#!/usr/bin/env python3
"""Crash-consistency harness: concurrent writers, kill -9 at random moments, restart, verify.

Writers (separate processes, each owning its keys so every key has one sequential history) PUT,
overwrite, delete, run multipart uploads with parallel parts, complete and abort, recording each
operation as acknowledged (the daemon answered success) or in doubt (connection dropped). The daemon
is killed with SIGKILL at random moments and restarted. At the end:
  - every key holds exactly the bytes and ETag of its last acknowledged write, or of a later in-doubt
    one (never a mix, never an older version, never lost);
  - listings agree with reads;
  - uploads whose creation was acknowledged and that were not completed/aborted show every
    acknowledged part; in-doubt completes/aborts leave them intact or cleanly absent;
  - no blob file is unreferenced and no referenced blob is missing (after the start-up sweep);
  - SQLite's integrity_check says ok.
Prints writes acknowledged, writes verified, lost (must be 0).

Usage: crashtest.py [--kills N] [--writers N] [--bin PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
AK, SK = "AKCRASHTEST000000000", "crash-test-secret-key-0000000000000000000"
MIN_PART = 4096


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def content(writer: int, key: str, gen: int) -> bytes:
    rnd = random.Random(f"{writer}/{key}/{gen}")
    return rnd.randbytes(rnd.choice([0, 1, 100, 4096, 70_000, 300_000]))


def make_client(port: int):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=AK, aws_secret_access_key=SK,
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=20,
                                      max_pool_connections=8, request_checksum_calculation="when_required"))


class Daemon:
    def __init__(self, binary: str, data: Path, port: int, log: Path):
        self.binary, self.data, self.port, self.log = binary, data, port, log
        self.proc: subprocess.Popen | None = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data),
                                      "--access-key", AK, "--secret-key", SK, "--min-part-size", str(MIN_PART)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"daemon did not start; log:\n{self.log.read_text()[-4000:]}")
                time.sleep(0.05)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=40)
        if rc != 0:
            raise SystemExit(f"daemon exited {rc} on SIGTERM")


def writer_main(index: int, port: int, stop, results):
    """One writer: random operations on its own keys until told to stop; returns its journal."""
    from botocore.exceptions import ClientError
    rnd = random.Random(index)
    s3 = make_client(port)
    keys = [f"w{index}/k{j}" for j in range(6)]
    history: dict[str, list] = {k: [] for k in keys}  # key -> [(kind, gen, acked, md5)]
    uploads: list[dict] = []
    gen = 0
    acked_writes = 0

    def attempt(fn):
        try:
            return True, fn()
        except ClientError as e:
            return False, e.response["Error"]["Code"]
        except Exception as e:  # connection refused/reset: in doubt
            return None, type(e).__name__

    while not stop.is_set():
        key = rnd.choice(keys)
        gen += 1
        r = rnd.random()
        if r < 0.55:
            data = content(index, key, gen)
            entry = ["put", gen, None, hashlib.md5(data).hexdigest(), len(data)]
            history[key].append(entry)
            ok, res = attempt(lambda: s3.put_object(Bucket="crash", Key=key, Body=data))
            entry[2] = ok
            if ok:
                assert res["ETag"] == f'"{entry[3]}"', (key, res["ETag"], entry)
                acked_writes += 1
        elif r < 0.65:
            entry = ["delete", gen, None, None, 0]
            history[key].append(entry)
            ok, _ = attempt(lambda: s3.delete_object(Bucket="crash", Key=key))
            entry[2] = ok
            acked_writes += bool(ok)
        else:
            # Multipart: create, parallel-ish parts, then complete (or abort, or leave it).
            ok, res = attempt(lambda: s3.create_multipart_upload(Bucket="crash", Key=key))
            if not ok:
                continue
            up = {"key": key, "id": res["UploadId"], "parts": {}, "end": None, "end_acked": None}
            uploads.append(up)
            n = rnd.randint(1, 3)
            bodies = [content(index, key, gen * 10 + p) or b"x" for p in range(n)]
            bodies = [b if i == n - 1 else (b * (MIN_PART // max(1, len(b)) + 1))[:max(MIN_PART, len(b))] for i, b in enumerate(bodies)]
            failed = False
            for p in rnd.sample(range(n), n):
                ok, res = attempt(lambda: s3.upload_part(Bucket="crash", Key=key, UploadId=up["id"], PartNumber=p + 1, Body=bodies[p]))
                if ok:
                    up["parts"][p + 1] = res["ETag"].strip('"')
                    acked_writes += 1
                else:
                    failed = True
                    break
            if failed:
                continue
            choice = rnd.random()
            if choice < 0.75:
                data = b"".join(bodies)
                entry = ["mpu", gen, None, hashlib.md5(data).hexdigest(), len(data)]
                history[key].append(entry)
                up["end"] = "complete"
                ok, res = attempt(lambda: s3.complete_multipart_upload(
                    Bucket="crash", Key=key, UploadId=up["id"],
                    MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": up["parts"][i + 1]} for i in range(n)]}))
                entry[2] = ok
                up["end_acked"] = ok
                acked_writes += bool(ok)
            elif choice < 0.9:
                up["end"] = "abort"
                ok, _ = attempt(lambda: s3.abort_multipart_upload(Bucket="crash", Key=key, UploadId=up["id"]))
                up["end_acked"] = ok
    results.put((index, history, uploads, acked_writes))


def allowed_states(entries):
    """Final states a key may be in: after its last acknowledged op, or after any later in-doubt op."""
    last_acked = max((i for i, e in enumerate(entries) if e[2] is True), default=None)
    states = set()
    base = entries[last_acked] if last_acked is not None else None
    states.add(None if base is None or base[0] == "delete" else base[3])
    for e in entries[(last_acked + 1) if last_acked is not None else 0:]:
        if e[2] is None:
            states.add(None if e[0] == "delete" else e[3])
    return states


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--bin", default=os.environ.get("TESSERA_BIN", str(REPO / ".build/release/tessera")))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tessera-crash-"))
    daemon = Daemon(args.bin, tmp / "data", free_port(), tmp / "daemon.log")
    daemon.start()
    make_client(daemon.port).create_bucket(Bucket="crash")

    ctx = mp.get_context("fork")
    stop, results = ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=writer_main, args=(i, daemon.port, stop, results)) for i in range(args.writers)]
    for w in writers:
        w.start()
    rnd = random.Random(1234)
    for k in range(args.kills):
        time.sleep(rnd.uniform(0.2, 1.2))
        daemon.kill9()
        time.sleep(rnd.uniform(0.0, 0.3))
        daemon.start()
    time.sleep(0.5)
    stop.set()
    journals = [results.get(timeout=120) for _ in writers]
    for w in writers:
        w.join(timeout=30)

    # Final restart: the start-up sweep runs, then verification.
    daemon.kill9()
    daemon.start()
    s3 = make_client(daemon.port)
    acked = verified = lost = 0
    problems = []
    present = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash") for o in page.get("Contents", [])}
    for index, history, uploads, acked_writes in journals:
        acked += acked_writes
        for key, entries in history.items():
            if not entries:
                continue
            allowed = allowed_states(entries)
            try:
                body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
                state = hashlib.md5(body).hexdigest()
                etag = s3.head_object(Bucket="crash", Key=key)["ETag"]
            except Exception:
                state, etag = None, None
            if (state is not None) != (key in present):
                problems.append(f"{key}: listing says {'present' if key in present else 'absent'}, read says {state}")
            if state not in allowed:
                lost += 1
                problems.append(f"{key}: state {state} not in allowed {allowed}; history {entries[-4:]}")
            else:
                verified += sum(1 for e in entries if e[2] is True)
        for up in uploads:
            try:
                parts = {p["PartNumber"]: p["ETag"].strip('"') for p in s3.list_parts(Bucket="crash", Key=up["key"], UploadId=up["id"]).get("Parts", [])}
                exists = True
            except Exception:
                parts, exists = {}, False
            ok_before = len(problems)
            if up["end"] is None or up["end_acked"] is False:
                if not exists:
                    problems.append(f"upload {up['id']} of {up['key']} vanished")
                    lost += 1
                elif any(parts.get(n) != e for n, e in up["parts"].items()):
                    problems.append(f"upload {up['id']} lost acknowledged parts: have {parts}, acked {up['parts']}")
                    lost += 1
            elif up["end_acked"] is True and exists:
                problems.append(f"upload {up['id']} still listed after an acknowledged {up['end']}")
            elif up["end_acked"] is None and exists and any(parts.get(n) != e for n, e in up["parts"].items()):
                problems.append(f"upload {up['id']} in doubt but its parts changed")
                lost += 1
            if len(problems) == ok_before:
                verified += len(up["parts"])  # acknowledged parts: intact, or in the completed object
    daemon.stop()

    db = sqlite3.connect(tmp / "data" / "metadata.sqlite")
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    referenced = {r[0] for r in db.execute("SELECT blob FROM segments WHERE data IS NULL UNION SELECT blob FROM parts")}
    garbage = {r[0] for r in db.execute("SELECT blob FROM garbage")}
    db.close()
    files = {p.name for p in (tmp / "data" / "blobs").rglob("*") if p.is_file()}
    orphans = files - referenced - garbage
    missing = referenced - files
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    if orphans:
        problems.append(f"{len(orphans)} orphaned blob files")
    if missing:
        problems.append(f"{len(missing)} referenced blobs missing")
        lost += len(missing)
    temporaries = list((tmp / "data" / "tmp").iterdir())

    print(f"kills survived: {args.kills}")
    print(f"writes acknowledged: {acked}")
    print(f"writes verified: {verified}")
    print(f"lost: {lost}")
    print(f"orphaned blobs: {len(orphans)}, missing blobs: {len(missing)}, temporaries left: {len(temporaries)}, integrity: {integrity}")
    for p in problems[:30]:
        print("PROBLEM:", p)
    if problems:
        print(f"daemon log: {daemon.log}")
        sys.exit(1)
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    print("crashtest: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
