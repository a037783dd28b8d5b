"""Backing up a cluster while it serves, and restoring the copy, as docs/operator-guide.md says.

The backup script is the one in the guide's "Backing up a cluster" section, run as written (only its two
paths are replaced): `pg_dump` of the database first, then the blobs and the keys, while two gateways keep
overwriting and deleting. The copy is restored into a new database and a new directory as the guide's
restore paragraph says, and checked:
- every object written before the backup started reads back whole (bytes and ETag) from the restored copy;
- every other object it lists is one of the bodies written for that key (no torn or foreign data);
- `fsck --repair --drop-missing` leaves it clean, and a new write there gets a version of its own.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading
import uuid
from pathlib import Path

from gateway import Gateway, fsck
from pgserver import database, postgres  # noqa: F401  (the fixture)
from itutil import KiB, MiB, guide_script, random_bytes


def guide_backup_script(backup: Path, shared: Path) -> str:
    """The guide's backup script, with its destination and blob directory replaced by the test's."""
    return guide_script("### Backing up a cluster", {"B=/backup/tessera-$(date +%F)": f"B={backup}",
                                                     "/srv/tessera-blobs": str(shared)})


def test_backup_under_writes_restores_to_a_working_cluster(postgres, tmp_path):  # noqa: F811
    shared = tmp_path / "shared"
    g1 = Gateway(tmp_path, "gw1", postgres, shared)
    g2 = Gateway(tmp_path, "gw2", postgres, shared)
    restored_gateway = None
    try:
        bucket = "backup-" + uuid.uuid4().hex[:10]
        g1.s3.create_bucket(Bucket=bucket)

        # Written and acknowledged before the backup starts: all must be in the copy.
        stable: dict[str, tuple[bytes, str]] = {}
        for i in range(60):
            size = (0, 10, 3 * KiB, 40 * KiB, 300 * KiB, 6 * MiB)[i % 6]
            body = random_bytes(size)
            etag = (g1, g2)[i % 2].s3.put_object(Bucket=bucket, Key=f"stable/{i:03d}", Body=body)["ETag"]
            stable[f"stable/{i:03d}"] = (body, etag)
        parts = [random_bytes(5 * MiB), random_bytes(1 * MiB)]
        up = g1.s3.create_multipart_upload(Bucket=bucket, Key="stable/multipart")["UploadId"]
        etags = [(g1, g2)[n].s3.upload_part(Bucket=bucket, Key="stable/multipart", UploadId=up, PartNumber=n + 1,
                                             Body=p)["ETag"] for n, p in enumerate(parts)]
        done = g2.s3.complete_multipart_upload(
            Bucket=bucket, Key="stable/multipart", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
        stable["stable/multipart"] = (b"".join(parts), done["ETag"])

        # Overwrites and deletes on both gateways for the whole backup.
        written: dict[str, set[str]] = {f"churn/{i}": set() for i in range(12)}
        stop = threading.Event()
        churn_errors: list[BaseException] = []
        rounds = [0]

        def churn(g: Gateway, keys: list[str]) -> None:
            try:
                n = 0
                while not stop.is_set():
                    key = keys[n % len(keys)]
                    if n % 5 == 4:
                        g.s3.delete_object(Bucket=bucket, Key=key)
                    else:
                        body = random_bytes((100, 50 * KiB, 2 * MiB)[n % 3])
                        written[key].add(hashlib.sha256(body).hexdigest())  # before the PUT: may be in the dump
                        g.s3.put_object(Bucket=bucket, Key=key, Body=body)
                    n += 1
                    rounds[0] += 1
            except BaseException as e:  # noqa: BLE001 (reported below)
                churn_errors.append(e)

        keys = sorted(written)
        threads = [threading.Thread(target=churn, args=(g, keys[i::2])) for i, g in enumerate((g1, g2))]
        for t in threads:
            t.start()
        backup = tmp_path / "backup"
        try:
            while rounds[0] < 20:  # the churn is well under way when the backup starts
                stop.wait(0.05)
            run = subprocess.run(["bash", "-c", guide_backup_script(backup, shared)], capture_output=True,
                                 text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "TESSERA_METADATA_URL": postgres})
            assert run.returncode == 0, run.stdout + run.stderr
            churned_during_backup = rounds[0]
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not churn_errors, churn_errors
        assert churned_during_backup > 20

        # Restore as the guide says: a new database and a new shared directory.
        restored_url = database(postgres, "restored_" + uuid.uuid4().hex[:8])
        r = subprocess.run(["pg_restore", "--no-owner", "--dbname", restored_url, str(backup / "metadata.pgdump")],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        restored = tmp_path / "restored"
        restored.mkdir()
        subprocess.run(["cp", "-a", str(backup / "blobs"), str(restored / "blobs")], check=True)
        subprocess.run(["cp", "-p", str(backup / "keys.json"), str(restored / "keys.json")], check=False)

        first = fsck(restored, restored_url)
        repaired = fsck(restored, restored_url, "--repair", "--drop-missing")
        assert repaired.returncode == 0, first.stdout + repaired.stdout + repaired.stderr
        clean = fsck(restored, restored_url)
        assert clean.returncode == 0 and "fsck: no problems" in clean.stdout, clean.stdout + clean.stderr

        restored_gateway = Gateway(tmp_path, "restored-gw", restored_url, restored)
        s3 = restored_gateway.s3
        for key, (body, etag) in stable.items():
            got = s3.get_object(Bucket=bucket, Key=key)
            assert got["ETag"] == etag, key
            assert got["Body"].read() == body, key
        listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                  for o in page.get("Contents", [])]
        assert set(stable) <= set(listed)
        for key in listed:
            if key.startswith("churn/"):
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                assert hashlib.sha256(body).hexdigest() in written[key], f"{key}: a body that was never written"

        # The restored cluster takes writes: the version sequence came along, so an overwrite is new.
        fresh = random_bytes(20 * KiB)
        s3.put_object(Bucket=bucket, Key="stable/000", Body=fresh)
        assert s3.get_object(Bucket=bucket, Key="stable/000")["Body"].read() == fresh
        after = fsck(restored, restored_url)
        assert after.returncode == 0, after.stdout + after.stderr
    finally:
        for g in (g1, g2, restored_gateway):
            if g is not None:
                g.stop()
