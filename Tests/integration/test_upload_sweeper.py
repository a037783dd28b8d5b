"""Incomplete multipart uploads are aborted by the sweeper; bucket lifecycle rules round-trip."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from daemon import client, own_daemon

pytestmark = pytest.mark.multipart


def test_sweeper_aborts_old_uploads_and_frees_parts(tmp_path):
    with own_daemon(tmp_path, "--abort-incomplete-after", "1", "--sweep-interval", "0.3") as port:
        s3 = client(port)
        s3.create_bucket(Bucket="sweep")
        up = s3.create_multipart_upload(Bucket="sweep", Key="stale")["UploadId"]
        s3.upload_part(Bucket="sweep", Key="stale", UploadId=up, PartNumber=1, Body=b"x" * 4096)
        blobs = lambda: [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()]
        assert len(blobs()) == 1
        deadline = time.time() + 10
        while s3.list_multipart_uploads(Bucket="sweep").get("Uploads") and time.time() < deadline:
            time.sleep(0.2)
        assert not s3.list_multipart_uploads(Bucket="sweep").get("Uploads")
        with pytest.raises(ClientError) as e:
            s3.list_parts(Bucket="sweep", Key="stale", UploadId=up)
        assert e.value.response["Error"]["Code"] == "NoSuchUpload"
        deadline = time.time() + 10   # the collector frees the part's blob after the abort, asynchronously
        while blobs() and time.time() < deadline:
            time.sleep(0.1)
        assert blobs() == []
        # A fresh upload is left alone until it is old enough.
        fresh = s3.create_multipart_upload(Bucket="sweep", Key="fresh")["UploadId"]
        assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket="sweep")["Uploads"]] == [fresh]


def test_lifecycle_configuration_round_trip(tmp_path):
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="life")
        with pytest.raises(ClientError) as e:
            s3.get_bucket_lifecycle_configuration(Bucket="life")
        assert e.value.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        rule = {"ID": "abort-mpu", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}
        s3.put_bucket_lifecycle_configuration(Bucket="life", LifecycleConfiguration={"Rules": [rule]})
        got = s3.get_bucket_lifecycle_configuration(Bucket="life")["Rules"]
        assert got[0]["ID"] == "abort-mpu"
        assert got[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 2
        assert got[0]["Filter"]["Prefix"] == "tmp/"
        s3.delete_bucket_lifecycle(Bucket="life")
        with pytest.raises(ClientError):
            s3.get_bucket_lifecycle_configuration(Bucket="life")
