"""Backing up one running node as docs/operator-guide.md's "Backups" section says, and restoring it.

The guide's script runs as written (only its data directory, destination and binary are replaced)
while a writer overwrites and deletes; the copy is then restored as the guide says and must hold every
object acknowledged before the backup started, list only bodies that were written, and be clean after
`fsck --repair --drop-missing`.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading

from daemon import BIN, client, own_daemon
from gateway import fsck
from itutil import KiB, MiB, guide_script, random_bytes


def test_online_backup_under_writes_restores(tmp_path):
    backup = tmp_path / "backup"
    stable: dict[str, bytes] = {}
    written: dict[str, set[str]] = {f"churn/{i}": set() for i in range(8)}
    (tmp_path / "live").mkdir()
    with own_daemon(tmp_path / "live", fsync=True) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="photos")
        for i in range(40):
            body = random_bytes((0, 10, 3 * KiB, 40 * KiB, 300 * KiB, 3 * MiB)[i % 6])
            s3.put_object(Bucket="photos", Key=f"stable/{i:03d}", Body=body)
            stable[f"stable/{i:03d}"] = body

        stop = threading.Event()
        errors: list[BaseException] = []
        rounds = [0]

        def churn() -> None:
            try:
                n = 0
                keys = sorted(written)
                while not stop.is_set():
                    key = keys[n % len(keys)]
                    if n % 4 == 3:
                        s3.delete_object(Bucket="photos", Key=key)
                    else:
                        body = random_bytes((100, 60 * KiB, 1 * MiB)[n % 3])
                        written[key].add(hashlib.sha256(body).hexdigest())
                        s3.put_object(Bucket="photos", Key=key, Body=body)
                    n += 1
                    rounds[0] = n
            except BaseException as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        writer = threading.Thread(target=churn)
        writer.start()
        try:
            while rounds[0] < 10 and not errors:
                stop.wait(0.05)
            script = guide_script("## Backups", {
                "B=/backup/tessera-$(date +%F)": f"B={backup}",
                "/var/lib/tessera": str(tmp_path / "live" / "data"),
                "tessera fsck": f"{BIN} fsck",
            })
            run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, run.stdout + run.stderr
        finally:
            stop.set()
            writer.join(timeout=60)
        assert not errors, errors

    # Restore: the copy is the data directory of a new daemon.
    restored = tmp_path / "restored"
    restored.mkdir()
    subprocess.run(["cp", "-a", str(backup), str(restored / "data")], check=True)
    repaired = fsck(restored / "data", None, "--repair", "--drop-missing")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert fsck(restored / "data").returncode == 0
    with own_daemon(restored) as port:
        s3 = client(port)
        for key, body in stable.items():
            assert s3.get_object(Bucket="photos", Key=key)["Body"].read() == body, key
        listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="photos")
                  for o in page.get("Contents", [])]
        for key in listed:
            if key.startswith("churn/"):
                got = s3.get_object(Bucket="photos", Key=key)["Body"].read()
                assert hashlib.sha256(got).hexdigest() in written[key], f"{key}: a body that was never written"
        s3.put_object(Bucket="photos", Key="stable/000", Body=b"after the restore")
        assert s3.get_object(Bucket="photos", Key="stable/000")["Body"].read() == b"after the restore"
