"""boto3 (botocore 1.43) against the daemon: buckets, objects, listing, errors."""

import socket
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from itutil import (
    ODD_KEY, SIMPLE_ETAG_RE, client_error_code, http_status, md5_hex, random_bytes,
)

pytestmark = pytest.mark.core


def _error(excinfo):
    return client_error_code(excinfo.value), http_status(excinfo.value)


def _put_keys(s3, bucket, keys, body=b"x"):
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=body)


# --------------------------------------------------------------------- buckets

def test_create_head_list_bucket(server, s3, bucket_name):
    resp = s3.create_bucket(Bucket=bucket_name)
    assert http_status(resp) == 200
    assert http_status(s3.head_bucket(Bucket=bucket_name)) == 200
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket_name in names


def test_create_bucket_twice_is_200_in_us_east_1(s3, bucket):
    # S3's legacy rule for us-east-1 (the suite's region): the owner re-creating its bucket gets 200 OK,
    # and the bucket and its objects are untouched.
    s3.put_object(Bucket=bucket, Key="kept", Body=b"kept")
    assert http_status(s3.create_bucket(Bucket=bucket)) == 200
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"kept"


def test_create_bucket_twice_is_already_owned_by_you_elsewhere(tmp_path):
    import boto3
    from daemon import ACCESS_KEY, SECRET_KEY, own_daemon
    with own_daemon(tmp_path, "--region", "eu-west-1") as port:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        s3.create_bucket(Bucket="twice", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with pytest.raises(ClientError) as ei:
            s3.create_bucket(Bucket="twice", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert _error(ei) == ("BucketAlreadyOwnedByYou", 409)


@pytest.mark.parametrize("name", ["Bad_Name", "ab", "-leading-dash", "a" * 64, "192.168.5.4"])
def test_create_bucket_invalid_name(server, name):
    # botocore validates bucket names client-side; drop that check so the daemon has to answer.
    from botocore.handlers import validate_bucket_name
    s3 = server.boto3_client()
    s3.meta.events.unregister("before-parameter-build.s3", validate_bucket_name)
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket=name)
    assert _error(ei) == ("InvalidBucketName", 400)


def test_head_missing_bucket_is_404(s3):
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=f"missing-{uuid.uuid4().hex[:12]}")
    assert http_status(ei.value) == 404


def test_get_object_in_missing_bucket_is_nosuchbucket(s3):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=f"missing-{uuid.uuid4().hex[:12]}", Key="k")
    assert _error(ei) == ("NoSuchBucket", 404)


def test_delete_non_empty_bucket_is_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=bucket)
    assert _error(ei) == ("BucketNotEmpty", 409)
    assert http_status(s3.head_bucket(Bucket=bucket)) == 200


def test_delete_empty_bucket(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    assert http_status(s3.delete_bucket(Bucket=bucket_name)) == 204
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket=bucket_name)
    assert http_status(ei.value) == 404


def test_get_bucket_location(s3, bucket):
    # us-east-1 is reported as an empty LocationConstraint (boto3: None).
    loc = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"]
    assert loc in (None, "")


# --------------------------------------------------------------------- objects

def test_put_get_roundtrip_with_headers(s3, bucket):
    data = random_bytes(4096)
    put = s3.put_object(Bucket=bucket, Key="dir/obj.bin", Body=data,
                        Metadata={"alpha": "1", "Mixed-Case": "Value With Spaces"},
                        ContentType="application/x-tessera-test",
                        ContentDisposition='attachment; filename="report.bin"')
    assert put["ETag"] == '"%s"' % md5_hex(data)
    got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "application/x-tessera-test"
    assert got["ContentDisposition"] == 'attachment; filename="report.bin"'
    assert got["Metadata"] == {"alpha": "1", "mixed-case": "Value With Spaces"}
    assert got["ETag"] == put["ETag"]


def test_head_object_etag_is_quoted_md5(s3, bucket):
    data = b"hello tessera\n" * 100
    s3.put_object(Bucket=bucket, Key="h", Body=data)
    head = s3.head_object(Bucket=bucket, Key="h")
    assert head["ETag"] == '"' + md5_hex(data) + '"'
    assert head["ContentLength"] == len(data)
    assert head["LastModified"] is not None


def test_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_overwrite_replaces_content(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["Metadata"] == {}


def test_get_missing_key_is_nosuchkey(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="does/not/exist")
    assert _error(ei) == ("NoSuchKey", 404)


def test_delete_object_is_idempotent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="gone", Body=b"1")
    assert http_status(s3.delete_object(Bucket=bucket, Key="gone")) == 204
    assert http_status(s3.delete_object(Bucket=bucket, Key="gone")) == 204
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="gone")
    assert http_status(ei.value) == 404


def test_delete_objects_quiet(s3, bucket):
    _put_keys(s3, bucket, ["q/1", "q/2", "q/3", "stay"])
    resp = s3.delete_objects(Bucket=bucket, Delete={
        "Objects": [{"Key": "q/1"}, {"Key": "q/2"}, {"Key": "q/3"}, {"Key": "q/missing"}],
        "Quiet": True,
    })
    assert http_status(resp) == 200
    assert resp.get("Deleted", []) == []
    assert resp.get("Errors", []) == []
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["stay"]


def test_copy_object_metadata_replace_and_copy(s3, bucket):
    data = random_bytes(3000)
    s3.put_object(Bucket=bucket, Key="src", Body=data, Metadata={"old": "yes"},
                  ContentType="text/plain")
    r = s3.copy_object(Bucket=bucket, Key="dst-replace", CopySource={"Bucket": bucket, "Key": "src"},
                       MetadataDirective="REPLACE", Metadata={"new": "value"},
                       ContentType="application/json")
    assert r["CopyObjectResult"]["ETag"] == '"%s"' % md5_hex(data)
    got = s3.get_object(Bucket=bucket, Key="dst-replace")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"new": "value"}
    assert got["ContentType"] == "application/json"

    s3.copy_object(Bucket=bucket, Key="dst-copy", CopySource=f"{bucket}/src")
    got = s3.get_object(Bucket=bucket, Key="dst-copy")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"old": "yes"}
    assert got["ContentType"] == "text/plain"


def test_copy_object_onto_itself_requires_replace(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"abc", Metadata={"a": "1"})
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert _error(ei) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"a": "2"})
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"a": "2"}


def test_get_object_range_206(s3, bucket):
    data = random_bytes(1000)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=100-199")
    assert http_status(got) == 206
    assert got["ContentRange"] == "bytes 100-199/1000"
    assert got["ContentLength"] == 100
    assert got["Body"].read() == data[100:200]
    # suffix and open-ended ranges
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=-10")
    assert got["Body"].read() == data[-10:]
    assert got["ContentRange"] == "bytes 990-999/1000"
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=995-")
    assert got["Body"].read() == data[995:]


def test_get_object_unsatisfiable_range_416(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=50-60")
    assert _error(ei) == ("InvalidRange", 416)


def test_conditional_get(s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    etag = s3.head_object(Bucket=bucket, Key="c")["ETag"]
    # matching If-Match is fine
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert http_status(ei.value) == 304
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert _error(ei) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert http_status(ei.value) == 304


# --------------------------------------------------------------------- listing

def test_list_objects_v2_pagination_continuation_token(s3, bucket):
    keys = [f"p/{i}" for i in range(5)]
    _put_keys(s3, bucket, keys)
    seen, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, **kw)
        pages += 1
        got = [o["Key"] for o in page.get("Contents", [])]
        assert page["KeyCount"] == len(got)
        assert page["MaxKeys"] == 2
        seen += got
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        assert len(got) == 2
        token = page["NextContinuationToken"]
        assert pages < 10
    assert seen == keys
    assert pages == 3


def test_list_objects_v2_start_after(s3, bucket):
    _put_keys(s3, bucket, [f"p/{i}" for i in range(5)])
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="p/1", MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["p/2", "p/3"]
    assert page["IsTruncated"] is True
    assert page["StartAfter"] == "p/1"
    # a StartAfter that is not an existing key
    page = s3.list_objects_v2(Bucket=bucket, StartAfter="p/15")
    assert [o["Key"] for o in page["Contents"]] == ["p/2", "p/3", "p/4"]


def test_list_objects_v2_delimiter_common_prefixes(s3, bucket):
    _put_keys(s3, bucket, ["a/1", "a/2", "b/c/1", "b/d", "top1", "top2"])
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in page["Contents"]] == ["top1", "top2"]
    assert page["KeyCount"] == 4
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", Prefix="b/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["b/c/"]
    assert [o["Key"] for o in page["Contents"]] == ["b/d"]


def test_list_objects_v2_delimiter_pagination_counts_prefixes(s3, bucket):
    _put_keys(s3, bucket, ["a/1", "a/2", "b/1", "c", "d/1"])
    seen, token = [], None
    for _ in range(10):
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2, **kw)
        items = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + \
                [o["Key"] for o in page.get("Contents", [])]
        assert 1 <= len(items) <= 2
        seen += items
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert sorted(seen) == ["a/", "b/", "c", "d/"]


def test_list_objects_v1_marker_next_marker(s3, bucket):
    keys = [f"m{i}" for i in range(5)]
    _put_keys(s3, bucket, keys)
    # Without a delimiter S3 omits NextMarker; the client uses the last key.
    page = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["m0", "m1"]
    assert page["IsTruncated"] is True
    page = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker="m1")
    assert [o["Key"] for o in page["Contents"]] == ["m2", "m3"]
    assert page["Marker"] == "m1"
    # With a delimiter, NextMarker is returned when truncated.
    seen, marker = [], ""
    for _ in range(10):
        page = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/", Marker=marker)
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        marker = page["NextMarker"]
        assert marker == seen[-1]
    assert seen == keys


def test_list_objects_v1_delimiter(s3, bucket):
    _put_keys(s3, bucket, ["x/1", "x/2", "y"])
    page = s3.list_objects(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["x/"]
    assert [o["Key"] for o in page["Contents"]] == ["y"]
    assert page["Contents"][0]["Size"] == 1
    assert SIMPLE_ETAG_RE.match(page["Contents"][0]["ETag"])


# ----------------------------------------------------------------- odd keys

def test_odd_key_roundtrip(s3, bucket):
    data = random_bytes(1024)
    s3.put_object(Bucket=bucket, Key=ODD_KEY, Body=data)
    assert s3.get_object(Bucket=bucket, Key=ODD_KEY)["Body"].read() == data
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [ODD_KEY]
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="odd key/ä")["Contents"]]
    assert listed == [ODD_KEY]
    s3.delete_object(Bucket=bucket, Key=ODD_KEY)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def _files_named(root: Path, name: str):
    return [p for p in root.rglob(name)]


def test_dot_dot_keys_stay_inside_the_bucket(server, s3, bucket):
    key = "../../etc/passwd"
    marker = f"tessera-escape-{uuid.uuid4().hex}"
    deep_key = "../" * 12 + f"tmp/{marker}"
    data = b"not the real passwd\n"
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    s3.put_object(Bucket=bucket, Key=deep_key, Body=b"escape?")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.get_object(Bucket=bucket, Key=deep_key)["Body"].read() == b"escape?"
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert listed == sorted([key, deep_key])

    # Nothing named after the key may appear outside the data dir ...
    assert not Path("/tmp", marker).exists()
    assert not Path("/", marker).exists()
    if server.data_dir is not None:
        data_dir = server.data_dir.resolve()
        for name in ("passwd", marker):
            for p in _files_named(server.root, name):
                rp = p.resolve()
                assert data_dir in rp.parents, f"{rp} was created outside {data_dir}"
                # ... and inside it, only within the bucket's own namespace.
                rel = rp.relative_to(data_dir).parts
                assert bucket in rel, f"{rp} escaped the bucket directory"


def test_key_length_limit(s3, bucket):
    ok = "k" * 1024
    s3.put_object(Bucket=bucket, Key=ok, Body=b"1024")
    assert s3.get_object(Bucket=bucket, Key=ok)["Body"].read() == b"1024"
    # 1,024 bytes of UTF-8, not characters: 512 x 'ä' (2 bytes each)
    ok_utf8 = "ä" * 512
    s3.put_object(Bucket=bucket, Key=ok_utf8, Body=b"utf8")
    assert s3.get_object(Bucket=bucket, Key=ok_utf8)["Body"].read() == b"utf8"
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"1025")
    assert _error(ei) == ("KeyTooLongError", 400)
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="ä" * 512 + "x", Body=b"1025")
    assert _error(ei) == ("KeyTooLongError", 400)


# ------------------------------------------------------------------ auth

def test_wrong_secret_key_is_signature_does_not_match(server, bucket):
    bad = server.boto3_client(secret_key=server.secret_key + "x")
    with pytest.raises(ClientError) as ei:
        bad.list_objects_v2(Bucket=bucket)
    assert _error(ei) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as ei:
        bad.put_object(Bucket=bucket, Key="nope", Body=b"1")
    assert _error(ei) == ("SignatureDoesNotMatch", 403)


def test_unknown_access_key_is_invalid_access_key_id(server, bucket, s3):
    bad = server.boto3_client(access_key="AKIAUNKNOWNUNKNOWN00")
    with pytest.raises(ClientError) as ei:
        bad.get_object(Bucket=bucket, Key="whatever")
    assert _error(ei) == ("InvalidAccessKeyId", 403)
    with pytest.raises(ClientError) as ei:
        bad.put_object(Bucket=bucket, Key="nope", Body=b"1")
    assert _error(ei) == ("InvalidAccessKeyId", 403)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_when_required_checksum_config(server, bucket):
    """`request_checksum_calculation='when_required'`: plain signed payloads, no CRC32."""
    s3 = server.boto3_client(request_checksum_calculation="when_required")
    data = random_bytes(70000)
    s3.put_object(Bucket=bucket, Key="wr", Body=data)
    assert s3.get_object(Bucket=bucket, Key="wr")["Body"].read() == data


# --------------------------------------------------------- virtual-hosted

@pytest.fixture
def localhost_subdomains(monkeypatch):
    """Make `<bucket>.localhost` resolve to 127.0.0.1 in this process.

    glibc does not resolve subdomains of localhost without nss-myhostname or
    systemd-resolved, so when it cannot we answer those lookups ourselves; the
    Host header the daemon sees is unchanged.
    """
    probe = f"probe-{uuid.uuid4().hex[:8]}.localhost"
    try:
        socket.getaddrinfo(probe, 80)
        return
    except OSError:
        pass
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_virtual_hosted_style(server, bucket, localhost_subdomains):
    if server.domain != "localhost":
        pytest.skip("server was not started with --domain localhost "
                    "(set TESSERA_DOMAIN=localhost for an external server that does)")
    vs3 = server.boto3_client(endpoint_url=f"http://localhost:{server.port}",
                              s3={"addressing_style": "virtual"})
    data = random_bytes(2048)
    vs3.put_object(Bucket=bucket, Key=ODD_KEY, Body=data, Metadata={"via": "vhost"})
    got = vs3.get_object(Bucket=bucket, Key=ODD_KEY)
    assert got["Body"].read() == data
    assert got["Metadata"] == {"via": "vhost"}
    assert [o["Key"] for o in vs3.list_objects_v2(Bucket=bucket)["Contents"]] == [ODD_KEY]
    assert bucket in [b["Name"] for b in vs3.list_buckets()["Buckets"]]
    # the object is the same one path-style clients see
    path_s3 = server.boto3_client()
    assert path_s3.get_object(Bucket=bucket, Key=ODD_KEY)["Body"].read() == data
    vs3.delete_object(Bucket=bucket, Key=ODD_KEY)
    assert path_s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
