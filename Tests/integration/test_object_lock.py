"""Object Lock through real clients: a bucket created with Object Lock (versioning Enabled for good), the
configuration's default retention, retention and legal hold per version (headers on PutObject, CopyObject
and CreateMultipartUpload; Put/GetObjectRetention, Put/GetObjectLegalHold), deletes of a locked version
refused (DeleteObject ?versionId, DeleteObjects), GOVERNANCE bypassed by the owner, COMPLIANCE by no one,
retention extended but never shortened, and the aws CLI's `s3api put-object-lock-configuration`.
Retain-until dates are a few seconds ahead, and the tests wait for them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import purge_bucket, unique_bucket_name

pytestmark = pytest.mark.core


def error(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def soon(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


@pytest.fixture
def locked_bucket(s3):
    name = unique_bucket_name("tessera-lock")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    # Each test releases or outlives the locks it sets, so the bucket can be emptied.
    purge_bucket(s3, name)


def test_lock_enabled_bucket_and_configuration(s3, locked_bucket, bucket):
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    got = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled"}
    # Versioning cannot be suspended any more.
    code, status, _ = error(lambda: s3.put_bucket_versioning(Bucket=locked_bucket, VersioningConfiguration={"Status": "Suspended"}))
    assert (code, status) == ("InvalidBucketState", 409)
    assert s3.get_bucket_versioning(Bucket=locked_bucket)["Status"] == "Enabled"
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    rule = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]["Rule"]
    assert rule == {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    # Both Days and Years, or a period that is not positive: refused, the configuration stays.
    assert error(lambda: s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}}))[:2] \
        == ("MalformedXML", 400)
    assert error(lambda: s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 0}}}))[:2] \
        == ("InvalidArgument", 400)
    assert s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]["Rule"] == rule
    # A bucket without Object Lock: S3's errors, for the configuration and for lock headers and calls.
    assert error(lambda: s3.get_object_lock_configuration(Bucket=bucket))[:2] == ("ObjectLockConfigurationNotFoundError", 404)
    code, status, message = error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON"))
    assert (code, status) == ("InvalidRequest", 400) and "Object Lock" in message
    assert error(lambda: s3.head_object(Bucket=bucket, Key="k"))[:2] == ("404", 404)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert error(lambda: s3.get_object_retention(Bucket=bucket, Key="k"))[:2] == ("InvalidRequest", 400)
    assert error(lambda: s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"}))[:2] == ("InvalidRequest", 400)
    # Object Lock on an existing bucket needs versioning Enabled.
    assert error(lambda: s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}))[:2] \
        == ("InvalidBucketState", 409)


def test_default_retention_applies_to_new_versions(s3, locked_bucket):
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    before = datetime.now(timezone.utc)
    v = s3.put_object(Bucket=locked_bucket, Key="k", Body=b"data")["VersionId"]
    r = s3.get_object_retention(Bucket=locked_bucket, Key="k", VersionId=v)["Retention"]
    assert r["Mode"] == "GOVERNANCE"
    assert timedelta(hours=23, minutes=59) < r["RetainUntilDate"] - before < timedelta(days=1, minutes=1)
    head = s3.head_object(Bucket=locked_bucket, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"] == r["RetainUntilDate"]
    # Refused without the bypass, then deleted by the owner with it.
    code, status, _ = error(lambda: s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=v))
    assert (code, status) == ("AccessDenied", 403)
    s3.delete_object(Bucket=locked_bucket, Key="k", VersionId=v, BypassGovernanceRetention=True)
    assert error(lambda: s3.head_object(Bucket=locked_bucket, Key="k", VersionId=v))[:2] == ("404", 404)


def test_headers_on_put_copy_and_multipart(s3, locked_bucket):
    until = soon(3600).replace(microsecond=0)
    v = s3.put_object(Bucket=locked_bucket, Key="p", Body=b"x", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")["VersionId"]
    got = s3.get_object(Bucket=locked_bucket, Key="p")
    assert (got["ObjectLockMode"], got["ObjectLockRetainUntilDate"], got["ObjectLockLegalHoldStatus"]) == ("COMPLIANCE", until, "ON")
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="p", VersionId=v)["LegalHold"] == {"Status": "ON"}
    # A copy's lock settings are its own, not the source's.
    c = s3.copy_object(Bucket=locked_bucket, Key="copy", CopySource={"Bucket": locked_bucket, "Key": "p"})["VersionId"]
    head = s3.head_object(Bucket=locked_bucket, Key="copy")
    assert "ObjectLockMode" not in head and "ObjectLockLegalHoldStatus" not in head
    s3.delete_object(Bucket=locked_bucket, Key="copy", VersionId=c)
    s3.copy_object(Bucket=locked_bucket, Key="copy2", CopySource={"Bucket": locked_bucket, "Key": "p"},
                   ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=soon(30))
    assert s3.head_object(Bucket=locked_bucket, Key="copy2")["ObjectLockMode"] == "GOVERNANCE"
    u = s3.create_multipart_upload(Bucket=locked_bucket, Key="m", ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket=locked_bucket, Key="m", UploadId=u["UploadId"], PartNumber=1, Body=b"m" * 100)
    mv = s3.complete_multipart_upload(Bucket=locked_bucket, Key="m", UploadId=u["UploadId"],
                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})["VersionId"]
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="m")["LegalHold"]["Status"] == "ON"
    assert error(lambda: s3.delete_object(Bucket=locked_bucket, Key="m", VersionId=mv, BypassGovernanceRetention=True))[:2] \
        == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="m", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked_bucket, Key="m", VersionId=mv)
    # A mode without a date, a date in the past: InvalidArgument, nothing stored.
    assert error(lambda: s3.put_object(Bucket=locked_bucket, Key="bad", Body=b"x", ObjectLockMode="GOVERNANCE"))[:2] == ("InvalidArgument", 400)
    assert error(lambda: s3.put_object(Bucket=locked_bucket, Key="bad", Body=b"x", ObjectLockMode="GOVERNANCE",
                                       ObjectLockRetainUntilDate=soon(-60)))[:2] == ("InvalidArgument", 400)
    assert error(lambda: s3.head_object(Bucket=locked_bucket, Key="bad"))[:2] == ("404", 404)
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="p", VersionId=v, LegalHold={"Status": "OFF"})


def test_governance_bypass_and_compliance(server, s3, locked_bucket):
    g = s3.put_object(Bucket=locked_bucket, Key="g", Body=b"g", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=soon(3600))["VersionId"]
    c = s3.put_object(Bucket=locked_bucket, Key="c", Body=b"c", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=soon(10))["VersionId"]
    # DeleteObjects with version IDs: both refused without the bypass; with it, GOVERNANCE goes and COMPLIANCE stays.
    objects = {"Objects": [{"Key": "g", "VersionId": g}, {"Key": "c", "VersionId": c}]}
    r = s3.delete_objects(Bucket=locked_bucket, Delete=objects)
    assert sorted((e["Key"], e["Code"]) for e in r["Errors"]) == [("c", "AccessDenied"), ("g", "AccessDenied")]
    r = s3.delete_objects(Bucket=locked_bucket, Delete=objects, BypassGovernanceRetention=True)
    assert [d["Key"] for d in r.get("Deleted", [])] == ["g"] and [e["Key"] for e in r["Errors"]] == ["c"]
    # A delete without a version ID adds a delete marker; the locked version stays behind it.
    marker = s3.delete_object(Bucket=locked_bucket, Key="c")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked_bucket, Key="c", VersionId=c)["Body"].read() == b"c"
    # COMPLIANCE: no bypass for anyone, never shortened, extended freely.
    assert error(lambda: s3.delete_object(Bucket=locked_bucket, Key="c", VersionId=c, BypassGovernanceRetention=True))[:2] \
        == ("AccessDenied", 403)
    current = s3.get_object_retention(Bucket=locked_bucket, Key="c", VersionId=c)["Retention"]["RetainUntilDate"]
    assert error(lambda: s3.put_object_retention(Bucket=locked_bucket, Key="c", VersionId=c, BypassGovernanceRetention=True,
                 Retention={"Mode": "COMPLIANCE", "RetainUntilDate": current - timedelta(seconds=1)}))[:2] == ("AccessDenied", 403)
    assert error(lambda: s3.put_object_retention(Bucket=locked_bucket, Key="c", VersionId=c, BypassGovernanceRetention=True,
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": current}))[:2] == ("AccessDenied", 403)
    longer = current + timedelta(seconds=2)
    s3.put_object_retention(Bucket=locked_bucket, Key="c", VersionId=c, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": longer})
    assert s3.get_object_retention(Bucket=locked_bucket, Key="c", VersionId=c)["Retention"]["RetainUntilDate"] == longer
    # Once the date has passed, the version can go.
    time.sleep(max(0.0, (longer - datetime.now(timezone.utc)).total_seconds()) + 1)
    s3.delete_object(Bucket=locked_bucket, Key="c", VersionId=c)
    # GOVERNANCE: shortened only with the bypass.
    v = s3.put_object(Bucket=locked_bucket, Key="g2", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=soon(3600))["VersionId"]
    assert error(lambda: s3.put_object_retention(Bucket=locked_bucket, Key="g2", VersionId=v,
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon(30)}))[:2] == ("AccessDenied", 403)
    s3.put_object_retention(Bucket=locked_bucket, Key="g2", VersionId=v, BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon(30)})
    s3.delete_object(Bucket=locked_bucket, Key="g2", VersionId=v, BypassGovernanceRetention=True)


def test_legal_hold_on_and_off(s3, locked_bucket):
    v = s3.put_object(Bucket=locked_bucket, Key="h", Body=b"x")["VersionId"]
    assert error(lambda: s3.get_object_legal_hold(Bucket=locked_bucket, Key="h"))[:2] == ("NoSuchObjectLockConfiguration", 404)
    assert error(lambda: s3.get_object_retention(Bucket=locked_bucket, Key="h"))[:2] == ("NoSuchObjectLockConfiguration", 404)
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="h", VersionId=v, LegalHold={"Status": "ON"})
    assert s3.head_object(Bucket=locked_bucket, Key="h")["ObjectLockLegalHoldStatus"] == "ON"
    assert error(lambda: s3.delete_object(Bucket=locked_bucket, Key="h", VersionId=v, BypassGovernanceRetention=True))[:2] \
        == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="h", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="h")["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked_bucket, Key="h", VersionId=v)


def test_writes_need_a_digest(server, locked_bucket):
    """S3's rule: a PutObject with Object Lock parameters needs Content-MD5 or an x-amz-checksum-*."""
    client = server.boto3_client(request_checksum_calculation="when_required")
    code, status, message = error(lambda: client.put_object(Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON"))
    assert (code, status) == ("InvalidRequest", 400) and "Content-MD5 OR x-amz-checksum-" in message
    client.put_object(Bucket=locked_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON", ChecksumAlgorithm="CRC32")
    client.put_object_legal_hold(Bucket=locked_bucket, Key="k", LegalHold={"Status": "OFF"})
    # Without lock parameters (no default retention here) a write needs none.
    client.put_object(Bucket=locked_bucket, Key="free", Body=b"x")


def test_default_retention_needs_a_digest_on_put_and_part(server, s3, locked_bucket):
    """With a default retention every upload has Object Lock parameters: PutObject and UploadPart need
    Content-MD5 or a checksum (S3's InvalidRequest, naming "Put Object" / "Put Part"), and nothing is
    stored without one; boto3 and the aws CLI send a checksum by default and keep working."""
    s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    try:
        bare = server.boto3_client(request_checksum_calculation="when_required")
        code, status, message = error(lambda: bare.put_object(Bucket=locked_bucket, Key="nodigest", Body=b"x"))
        assert (code, status, message) == ("InvalidRequest", 400, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
        assert error(lambda: s3.head_object(Bucket=locked_bucket, Key="nodigest"))[:2] == ("404", 404)
        # curl signing the request itself, no digest at all: S3's error document, with its RequestId.
        r = server.curl("--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{server.access_key}:{server.secret_key}",
                        "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", "PUT", "--data-binary", "plain body", f"{server.endpoint}/{locked_bucket}/curled", check=False, text=True)
        assert "<Code>InvalidRequest</Code>" in r.stdout and "<RequestId>" in r.stdout and "Put Object" in r.stdout, r.stdout + r.stderr
        assert error(lambda: s3.head_object(Bucket=locked_bucket, Key="curled"))[:2] == ("404", 404)
        # Content-MD5 alone is enough.
        md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
        v = bare.put_object(Bucket=locked_bucket, Key="md5", Body=b"x", ContentMD5=md5)["VersionId"]
        assert s3.head_object(Bucket=locked_bucket, Key="md5", VersionId=v)["ObjectLockMode"] == "GOVERNANCE"
        # UploadPart into the bucket: refused without a digest, the upload has no part; with one, fine.
        u = bare.create_multipart_upload(Bucket=locked_bucket, Key="parts")["UploadId"]
        code, status, message = error(lambda: bare.upload_part(Bucket=locked_bucket, Key="parts", UploadId=u, PartNumber=1, Body=b"p"))
        assert (code, status, message) == ("InvalidRequest", 400, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
        assert "Parts" not in s3.list_parts(Bucket=locked_bucket, Key="parts", UploadId=u)
        s3.abort_multipart_upload(Bucket=locked_bucket, Key="parts", UploadId=u)
        # boto3 as configured by default (a CRC checksum on every upload): put and multipart work.
        v = s3.put_object(Bucket=locked_bucket, Key="boto", Body=b"b")["VersionId"]
        assert s3.get_object_retention(Bucket=locked_bucket, Key="boto", VersionId=v)["Retention"]["Mode"] == "GOVERNANCE"
        u = s3.create_multipart_upload(Bucket=locked_bucket, Key="multi")["UploadId"]
        part = s3.upload_part(Bucket=locked_bucket, Key="multi", UploadId=u, PartNumber=1, Body=b"m" * 100)
        mv = s3.complete_multipart_upload(Bucket=locked_bucket, Key="multi", UploadId=u,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})["VersionId"]
        assert s3.head_object(Bucket=locked_bucket, Key="multi", VersionId=mv)["ObjectLockMode"] == "GOVERNANCE"
        # And the aws CLI's high-level copy.
        src = server.root / "lock-cli.txt"
        src.write_bytes(b"cli")
        server.aws("s3", "cp", str(src), f"s3://{locked_bucket}/cli.txt")
        assert s3.head_object(Bucket=locked_bucket, Key="cli.txt")["ObjectLockMode"] == "GOVERNANCE"
    finally:
        s3.put_object_lock_configuration(Bucket=locked_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
        # GOVERNANCE: the owner removes the versions made here, so the fixture can empty the bucket.
        for v in s3.list_object_versions(Bucket=locked_bucket).get("Versions", []):
            s3.delete_object(Bucket=locked_bucket, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
    # Without a default retention, a part of an upload that set a legal hold still needs one; other parts do not.
    held = bare.create_multipart_upload(Bucket=locked_bucket, Key="held", ObjectLockLegalHoldStatus="ON")["UploadId"]
    assert error(lambda: bare.upload_part(Bucket=locked_bucket, Key="held", UploadId=held, PartNumber=1, Body=b"p"))[:2] == ("InvalidRequest", 400)
    s3.abort_multipart_upload(Bucket=locked_bucket, Key="held", UploadId=held)
    free = bare.create_multipart_upload(Bucket=locked_bucket, Key="free")["UploadId"]
    bare.upload_part(Bucket=locked_bucket, Key="free", UploadId=free, PartNumber=1, Body=b"p")
    s3.abort_multipart_upload(Bucket=locked_bucket, Key="free", UploadId=free)


def test_aws_cli_put_object_lock_configuration(server, s3, locked_bucket):
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}
    server.aws("s3api", "put-object-lock-configuration", "--bucket", locked_bucket,
               "--object-lock-configuration", json.dumps(config))
    got = server.aws_json("s3api", "get-object-lock-configuration", "--bucket", locked_bucket)
    assert got["ObjectLockConfiguration"] == config
    # Back to no default (so the fixture can clean up what it made), then a write without retention.
    server.aws("s3api", "put-object-lock-configuration", "--bucket", locked_bucket,
               "--object-lock-configuration", json.dumps({"ObjectLockEnabled": "Enabled"}))
    assert "Rule" not in s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]
