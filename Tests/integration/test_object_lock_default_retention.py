"""A bucket's default Object Lock retention reaches every new version, whichever front end makes it: a
multipart object's retention counts from its completion (CompleteMultipartUpload), not from
CreateMultipartUpload (boto3), and versions written by the Worker JSON API and the task API get it too, so
they cannot be deleted before their date."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from daemon import client, free_port, own_daemon

pytestmark = pytest.mark.core

DAY = timedelta(days=1)


def lock(s3, bucket: str, mode: str = "GOVERNANCE") -> None:
    """Object Lock with a one-day default retention on a bucket the daemon made (versioning Enabled first)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": 1}}})


def refused_delete(s3, bucket: str, key: str, version: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert e.value.response["Error"]["Code"] == "AccessDenied" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.head_object(Bucket=bucket, Key=key, VersionId=version)["VersionId"] == version


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lockdefault")
    worker, tasks = free_port(), free_port()
    with own_daemon(tmp, "--worker-listen", f"127.0.0.1:{worker}", "--worker-bucket", "wlock", "--worker-anonymous",
                    "--tasks-listen", f"127.0.0.1:{tasks}", "--tasks-bucket", "tlock", "--tasks-anonymous") as port:
        yield client(port), f"http://127.0.0.1:{worker}/", f"http://127.0.0.1:{tasks}/api/files"


def test_multipart_retention_counts_from_completion(daemon):
    s3, _, _ = daemon
    s3.create_bucket(Bucket="mlock", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="mlock", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    created = datetime.now(timezone.utc)
    u = s3.create_multipart_upload(Bucket="mlock", Key="m")["UploadId"]
    time.sleep(3)   # the object comes to be at completion, 3 s after the upload began
    part = s3.upload_part(Bucket="mlock", Key="m", UploadId=u, PartNumber=1, Body=b"m" * 1000)
    completing = datetime.now(timezone.utc)
    v = s3.complete_multipart_upload(Bucket="mlock", Key="m", UploadId=u,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})["VersionId"]
    completed = datetime.now(timezone.utc)
    r = s3.get_object_retention(Bucket="mlock", Key="m", VersionId=v)["Retention"]
    assert r["Mode"] == "COMPLIANCE"
    assert completing - timedelta(milliseconds=5) <= r["RetainUntilDate"] - DAY <= completed + timedelta(milliseconds=5), (r, completing, completed)
    assert r["RetainUntilDate"] - DAY - created > timedelta(seconds=2.5)
    head = s3.head_object(Bucket="mlock", Key="m")
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] == r["RetainUntilDate"]
    # The upload's own retention header still wins over the default.
    own = (datetime.now(timezone.utc) + timedelta(hours=5)).replace(microsecond=0)
    u2 = s3.create_multipart_upload(Bucket="mlock", Key="own", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=own)["UploadId"]
    p2 = s3.upload_part(Bucket="mlock", Key="own", UploadId=u2, PartNumber=1, Body=b"o")
    s3.complete_multipart_upload(Bucket="mlock", Key="own", UploadId=u2, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p2["ETag"]}]})
    assert s3.get_object_retention(Bucket="mlock", Key="own")["Retention"]["RetainUntilDate"] == own
    refused_delete(s3, "mlock", "m", v)


def test_worker_api_versions_get_the_default_retention(daemon):
    s3, worker, _ = daemon
    s3.list_objects_v2(Bucket="wlock")   # the daemon made the bound bucket
    lock(s3, "wlock")
    url = worker + "backup.bin"
    before = datetime.now(timezone.utc)
    up = requests.post(url, params={"action": "mpu-create"}).json()["uploadId"]
    part = requests.put(url, params={"action": "mpu-uploadpart", "uploadId": up, "partNumber": "1"}, data=b"w" * 1000).json()
    r = requests.post(url, params={"action": "mpu-complete", "uploadId": up}, json={"parts": [part]})
    assert r.status_code == 200, r.text
    head = s3.head_object(Bucket="wlock", Key="backup.bin")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert before + DAY - timedelta(seconds=1) < head["ObjectLockRetainUntilDate"] < datetime.now(timezone.utc) + DAY
    refused_delete(s3, "wlock", "backup.bin", head["VersionId"])
    # The Worker API's own delete only hides it behind a delete marker: the version stays.
    requests.delete(url, params={"action": "delete"})
    assert s3.head_object(Bucket="wlock", Key="backup.bin", VersionId=head["VersionId"])["ContentLength"] == 1000


def test_task_api_versions_get_the_default_retention(daemon):
    s3, _, tasks = daemon
    s3.list_objects_v2(Bucket="tlock")
    lock(s3, "tlock", mode="COMPLIANCE")
    data = os.urandom(3000)
    before = datetime.now(timezone.utc)
    t = requests.post(tasks + "/upload/create", json={"hash": hashlib.sha256(data).hexdigest(), "file_name": "t.bin",
                                                      "file_size": len(data)}).json()
    assert requests.post(f"{tasks}/upload/chunk/{t['task_id']}/0", files={"chunk": ("blob", data)}).status_code == 200
    f = requests.post(f"{tasks}/upload/complete/{t['task_id']}").json()
    key = "files/" + f["id"]
    head = s3.head_object(Bucket="tlock", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert before + DAY - timedelta(seconds=1) < head["ObjectLockRetainUntilDate"] < datetime.now(timezone.utc) + DAY
    refused_delete(s3, "tlock", key, head["VersionId"])
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket="tlock", Key=key, VersionId=head["VersionId"], BypassGovernanceRetention=True)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
