"""Disk full: writes fail with a clear error and leave nothing behind; reads keep working; writes
resume when space returns. The data dir is a small tmpfs (needs root, as CI has)."""

from __future__ import annotations

import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from daemon import client, own_daemon

pytestmark = pytest.mark.core


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "fs"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.fail("this test mounts a tmpfs and must run as root (CI does)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


# Durable: bodies are staged in 2 MiB blocks written by a background queue, whose ENOSPC must surface too.
@pytest.mark.parametrize("fsync", [False, True], ids=["no-fsync", "durable"])
def test_full_store_fails_cleanly_and_recovers(small_fs, fsync):
    with own_daemon(small_fs, fsync=fsync) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="full")
        keep = os.urandom(6 << 20)
        s3.put_object(Bucket="full", Key="keep", Body=keep)
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket="full", Key="too-big", Body=os.urandom(40 << 20))
        err = e.value.response["Error"]
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (500, 507)
        assert "full" in err["Message"].lower(), err
        # Nothing half-written: no object, no temporary left, and the old object still reads.
        with pytest.raises(ClientError):
            s3.head_object(Bucket="full", Key="too-big")
        assert list((small_fs / "data" / "tmp").iterdir()) == []
        assert s3.get_object(Bucket="full", Key="keep")["Body"].read() == keep
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="full")["Contents"]] == ["keep"]
        # A multipart part that does not fit fails the same way; the upload stays usable.
        up = s3.create_multipart_upload(Bucket="full", Key="mp")["UploadId"]
        with pytest.raises(ClientError):
            s3.upload_part(Bucket="full", Key="mp", UploadId=up, PartNumber=1, Body=os.urandom(40 << 20))
        assert s3.list_parts(Bucket="full", Key="mp", UploadId=up).get("Parts", []) == []
        # Space comes back: writes resume.
        s3.delete_object(Bucket="full", Key="keep")
        again = os.urandom(10 << 20)
        for _ in range(50):
            try:
                s3.put_object(Bucket="full", Key="after", Body=again)
                break
            except ClientError:
                import time
                time.sleep(0.1)  # the collector frees the deleted blob asynchronously
        assert s3.get_object(Bucket="full", Key="after")["Body"].read() == again
