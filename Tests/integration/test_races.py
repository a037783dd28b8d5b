"""Multipart races, hammered: one state always wins whole, and no blob is left behind."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import sqlite3
import time

import pytest
from botocore.exceptions import ClientError

from daemon import client, own_daemon

pytestmark = pytest.mark.multipart


def blob_files(data_dir):
    return {p.name for p in (data_dir / "blobs").rglob("*") if p.is_file()}


def referenced(data_dir):
    db = sqlite3.connect(f"file:{data_dir / 'metadata.sqlite'}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT blob FROM segments WHERE data IS NULL UNION SELECT blob FROM parts UNION SELECT blob FROM garbage")}
    finally:
        db.close()


def settle(data_dir):
    """Waits for the garbage collector to catch up, then returns unreferenced blob files."""
    for _ in range(50):
        orphans = blob_files(data_dir) - referenced(data_dir)
        if not orphans:
            return orphans
        time.sleep(0.1)
    return orphans


def test_same_part_number_from_16_clients(tmp_path):
    with own_daemon(tmp_path, "--min-part-size", "1") as port:
        s3 = client(port, max_pool_connections=32)
        s3.create_bucket(Bucket="race")
        up = s3.create_multipart_upload(Bucket="race", Key="k")["UploadId"]
        bodies = [os.urandom(200_000) for _ in range(16)]
        with cf.ThreadPoolExecutor(16) as ex:
            etags = list(ex.map(lambda b: s3.upload_part(Bucket="race", Key="k", UploadId=up, PartNumber=7, Body=b)["ETag"], bodies))
        parts = s3.list_parts(Bucket="race", Key="k", UploadId=up)["Parts"]
        assert len(parts) == 1 and parts[0]["ETag"] in etags
        s3.complete_multipart_upload(Bucket="race", Key="k", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": parts[0]["ETag"]}]})
        got = s3.get_object(Bucket="race", Key="k")["Body"].read()
        assert f'"{hashlib.md5(got).hexdigest()}"' == parts[0]["ETag"]  # one writer's bytes, whole
        assert not settle(tmp_path / "data")


def test_complete_abort_and_upload_part_in_a_loop(tmp_path):
    with own_daemon(tmp_path, "--min-part-size", "1") as port:
        s3 = client(port, max_pool_connections=32)
        s3.create_bucket(Bucket="race")
        outcomes = {"completed": 0, "aborted": 0}
        for i in range(40):
            key = f"k{i % 4}"
            up = s3.create_multipart_upload(Bucket="race", Key=key)["UploadId"]
            first = s3.upload_part(Bucket="race", Key=key, UploadId=up, PartNumber=1, Body=b"a" * 1000)["ETag"]

            def complete():
                s3.complete_multipart_upload(Bucket="race", Key=key, UploadId=up,
                                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}]})
                return "completed"

            def abort():
                s3.abort_multipart_upload(Bucket="race", Key=key, UploadId=up)
                return "aborted"

            def late_part():
                s3.upload_part(Bucket="race", Key=key, UploadId=up, PartNumber=2, Body=b"b" * 1000)
                return "part"

            results = []
            with cf.ThreadPoolExecutor(3) as ex:
                for f in [ex.submit(complete), ex.submit(abort), ex.submit(late_part)]:
                    try:
                        results.append(f.result())
                    except ClientError as e:
                        assert e.response["Error"]["Code"] in ("NoSuchUpload", "InvalidPart"), e.response["Error"]
            winners = [r for r in results if r in ("completed", "aborted")]
            assert len(winners) == 1, results
            outcomes[winners[0]] += 1
            with pytest.raises(ClientError) as e:
                s3.list_parts(Bucket="race", Key=key, UploadId=up)
            assert e.value.response["Error"]["Code"] == "NoSuchUpload"
            if winners[0] == "completed":
                assert s3.get_object(Bucket="race", Key=key)["Body"].read() == b"a" * 1000
        assert outcomes["completed"] + outcomes["aborted"] == 40
        assert not settle(tmp_path / "data")
