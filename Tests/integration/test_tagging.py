"""Object and bucket tagging through real clients: boto3 Put/Get/DeleteObjectTagging (current object and
by version ID), x-amz-tagging on PutObject and CreateMultipartUpload, CopyObject with both tagging
directives, x-amz-tagging-count on GET and HEAD, Put/Get/DeleteBucketTagging, S3's limits refused with
nothing changed, and the aws CLI's `s3api put-object-tagging` / `get-object-tagging`.
"""

from __future__ import annotations

import json

import pytest
import urllib3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

pytestmark = pytest.mark.core


def error(call) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def tagset(pairs: dict[str, str]) -> dict:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs.items()]}


def tags_of(s3, bucket, key, **kw) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key, **kw)["TagSet"]}


def tag_count(s3, bucket, key, **kw) -> str | None:
    return s3.head_object(Bucket=bucket, Key=key, **kw)["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count")


def test_object_tagging_round_trip(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert tags_of(s3, bucket, "k") == {}
    assert tag_count(s3, bucket, "k") is None
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset({"b": "2", "a": "one two", "é": "wert ü"}))
    got = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    assert [t["Key"] for t in got] == ["a", "b", "é"]          # the set comes back in key order
    assert tags_of(s3, bucket, "k") == {"a": "one two", "b": "2", "é": "wert ü"}
    assert tag_count(s3, bucket, "k") == "3"
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 3
    # PutObjectTagging replaces the whole set; the object's body and metadata stay.
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset({"c": ""}))
    assert tags_of(s3, bucket, "k") == {"c": ""}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    r = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(s3, bucket, "k") == {} and tag_count(s3, bucket, "k") is None
    # An empty TagSet removes the tags too.
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset({"x": "1"}))
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": []})
    assert tags_of(s3, bucket, "k") == {}
    # A missing key or bucket: S3's errors.
    assert error(lambda: s3.get_object_tagging(Bucket=bucket, Key="none"))[:2] == ("NoSuchKey", 404)
    assert error(lambda: s3.put_object_tagging(Bucket=bucket, Key="none", Tagging=tagset({"a": "b"})))[:2] == ("NoSuchKey", 404)
    assert error(lambda: s3.get_object_tagging(Bucket=bucket + "-none", Key="k"))[:2] == ("NoSuchBucket", 404)


def test_tags_per_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one", Tagging="gen=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two", Tagging="gen=2")["VersionId"]
    assert tags_of(s3, bucket, "k") == {"gen": "2"}
    assert tags_of(s3, bucket, "k", VersionId=v1) == {"gen": "1"}
    # The noncurrent version's tags change alone; the answer names the version.
    r = s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=v1, Tagging=tagset({"gen": "one", "old": "yes"}))
    assert r["VersionId"] == v1
    assert tags_of(s3, bucket, "k", VersionId=v1) == {"gen": "one", "old": "yes"}
    assert tags_of(s3, bucket, "k") == {"gen": "2"}
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["VersionId"] == v2
    assert tag_count(s3, bucket, "k", VersionId=v1) == "2"
    # No version was made by tagging.
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted([v1, v2])
    r = s3.delete_object_tagging(Bucket=bucket, Key="k", VersionId=v1)
    assert r["VersionId"] == v1
    assert tags_of(s3, bucket, "k", VersionId=v1) == {} and tags_of(s3, bucket, "k") == {"gen": "2"}
    # A delete marker has no tags: the key reads as deleted, the marker by its ID is 405.
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    assert error(lambda: s3.get_object_tagging(Bucket=bucket, Key="k"))[:2] == ("NoSuchKey", 404)
    assert error(lambda: s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=marker, Tagging=tagset({"a": "b"})))[:2] \
        == ("MethodNotAllowed", 405)
    assert error(lambda: s3.get_object_tagging(Bucket=bucket, Key="k", VersionId="00000000000000ff"))[:2] == ("NoSuchVersion", 404)


def test_tagging_header_on_put_and_multipart(s3, bucket):
    s3.put_object(Bucket=bucket, Key="p", Body=b"x", Tagging="project=blue%20sky&empty=&tier=1")
    assert tags_of(s3, bucket, "p") == {"project": "blue sky", "empty": "", "tier": "1"}
    u = s3.create_multipart_upload(Bucket=bucket, Key="m", Tagging="kind=multipart&n=2")
    part = s3.upload_part(Bucket=bucket, Key="m", UploadId=u["UploadId"], PartNumber=1, Body=b"a" * 1024)
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=u["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert tags_of(s3, bucket, "m") == {"kind": "multipart", "n": "2"}
    assert tag_count(s3, bucket, "m") == "2"
    # A malformed header is InvalidArgument and stores nothing.
    code, status, _ = error(lambda: s3.put_object(Bucket=bucket, Key="bad", Body=b"x", Tagging="a=1&a=2"))
    assert (code, status) == ("InvalidArgument", 400)
    assert error(lambda: s3.head_object(Bucket=bucket, Key="bad"))[:2] == ("404", 404)


def test_copy_with_both_tagging_directives(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source", Tagging="from=src&n=1")
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    assert tags_of(s3, bucket, "copied") == {"from": "src", "n": "1"}
    # COPY is the default; tags sent with it are not used.
    s3.copy_object(Bucket=bucket, Key="copied2", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="COPY", Tagging="ignored=yes")
    assert tags_of(s3, bucket, "copied2") == {"from": "src", "n": "1"}
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="new=tag")
    assert tags_of(s3, bucket, "replaced") == {"new": "tag"}
    s3.copy_object(Bucket=bucket, Key="untagged", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "untagged") == {}
    # The metadata directive does not decide the tags.
    s3.copy_object(Bucket=bucket, Key="meta", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"m": "1"})
    assert tags_of(s3, bucket, "meta") == {"from": "src", "n": "1"}
    assert tags_of(s3, bucket, "src") == {"from": "src", "n": "1"}


def test_limits_are_refused_and_change_nothing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    cases = [
        ({f"k{i}": "v" for i in range(11)}, ("BadRequest", 400, "Object tags cannot be greater than 10")),
        ({"k" * 129: "v"}, ("InvalidTag", 400, "The TagKey you have provided is too long, max 128")),
        ({"k": "v" * 257}, ("InvalidTag", 400, "The TagValue you have provided is too long, max 256")),
        ({"aws:owner": "me"}, ("InvalidTag", 400, "Your TagKey cannot be prefixed with aws:")),
        ({"k": "a,b"}, ("InvalidTag", 400, "The TagValue you have provided is invalid")),
    ]
    for pairs, expected in cases:
        assert error(lambda: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(pairs))) == expected
    duplicate = {"TagSet": [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]}
    assert error(lambda: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=duplicate)) \
        == ("InvalidTag", 400, "Cannot provide multiple Tags with the same key")
    assert tags_of(s3, bucket, "k") == {"keep": "me"}
    # The largest allowed set is taken.
    biggest = {f"{i}" + "k" * 127: "v" * 256 for i in range(10)}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset(biggest))
    assert tags_of(s3, bucket, "k") == biggest
    # The same limits on x-amz-tagging: nothing stored.
    many = "&".join(f"k{i}=v" for i in range(11))
    assert error(lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", Tagging=many))[:2] == ("BadRequest", 400)
    assert error(lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", Tagging="aws:x=1"))[:2] == ("InvalidTag", 400)
    assert error(lambda: s3.head_object(Bucket=bucket, Key="new"))[:2] == ("404", 404)


def signed(server, method: str, path: str, body: bytes) -> tuple[int, str]:
    """Sends a SigV4-signed request with exactly `body` (which botocore would not serialize); status and body."""
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers={"Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    r = urllib3.PoolManager().request(method, req.url, body=body, headers=dict(req.headers.items()), retries=False)
    return r.status, r.data.decode()


def test_malformed_tagging_xml(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for body in [b"<Tagging><Tag><Key>a</Key><Value>b</Value></Tag></Tagging>",   # no TagSet
                 b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",   # no Value
                 b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag>"]:     # not well-formed
        status, text = signed(server, "PUT", f"/{bucket}/k?tagging", body)
        assert status == 400 and "<Code>MalformedXML</Code>" in text and "<RequestId>" in text, text
        status, text = signed(server, "PUT", f"/{bucket}?tagging", body)
        assert status == 400 and "<Code>MalformedXML</Code>" in text, text
    # An empty key (which boto3 will not send): InvalidTag.
    status, text = signed(server, "PUT", f"/{bucket}/k?tagging", b"<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>")
    assert status == 400 and "<Code>InvalidTag</Code>" in text and "The TagKey you have provided is invalid" in text, text
    assert tags_of(s3, bucket, "k") == {}
    assert error(lambda: s3.get_bucket_tagging(Bucket=bucket))[:2] == ("NoSuchTagSet", 404)


def test_bucket_tagging(s3, bucket):
    assert error(lambda: s3.get_bucket_tagging(Bucket=bucket))[:2] == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset({"team": "storage", "cost": "42"}))
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {t["Key"]: t["Value"] for t in got} == {"team": "storage", "cost": "42"}
    fifty = {f"t{i}": str(i) for i in range(50)}
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(fifty))
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    code, status, _ = error(lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset({**fifty, "one": "more"})))
    assert (code, status) == ("InvalidTag", 400)
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error(lambda: s3.get_bucket_tagging(Bucket=bucket))[:2] == ("NoSuchTagSet", 404)
    assert error(lambda: s3.get_bucket_tagging(Bucket=bucket + "-none"))[:2] == ("NoSuchBucket", 404)


def test_aws_cli_object_tagging(server, s3, bucket, tmp_path):
    body = tmp_path / "f"
    body.write_bytes(b"cli")
    server.aws("s3api", "put-object", "--bucket", bucket, "--key", "f", "--body", str(body), "--tagging", "a=1")
    server.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "f",
               "--tagging", json.dumps(tagset({"Project": "Blue", "env": "test run"})))
    got = server.aws_json("s3api", "get-object-tagging", "--bucket", bucket, "--key", "f")
    assert got["TagSet"] == [{"Key": "Project", "Value": "Blue"}, {"Key": "env", "Value": "test run"}]
    assert tags_of(s3, bucket, "f") == {"Project": "Blue", "env": "test run"}
