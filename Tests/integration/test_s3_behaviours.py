"""S3 behaviours the SDKs and conformance suites rely on, through real clients (boto3, curl, raw
http.client, the aws CLI): a retried CompleteMultipartUpload, 304 validators, max-keys=0, odd bytes in
listings, non-ASCII metadata, plain chunked uploads, presigned expiry, invalid part-copy ranges, part
checksum mismatches, and GetObjectAttributes after a multipart upload with checksums.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from itutil import MiB

pytestmark = pytest.mark.core


def error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def curl_status(server, tmp_path, *args) -> tuple[int, bytes]:
    """curl without failing on HTTP errors: (status, body)."""
    body = tmp_path / f"body-{time.monotonic_ns()}"
    r = server.curl("--output", str(body), "--write-out", "%{http_code}", *args, check=False)
    assert r.returncode in (0, 22), r.stderr
    return int(r.stdout.decode().strip() or 0), body.read_bytes() if body.exists() else b""


def raw_request(url: str, method: str, headers: dict[str, bytes] | None = None, body: bytes | None = None):
    """One request with header values sent as the given bytes; (status, [(name, value bytes)], body)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.putrequest(method, u.path + ("?" + u.query if u.query else ""), skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            c.putheader(name, value)
        c.endheaders(body)
        r = c.getresponse()
        # http.client decodes header bytes as Latin-1: encoding back gives the bytes on the wire.
        return r.status, [(k, v.encode("latin-1")) for k, v in r.msg.raw_items()], r.read()
    finally:
        c.close()


def multipart(s3, bucket, key, sizes, **create):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    parts = []
    for n, size in enumerate(sizes, start=1):
        extra = {"ChecksumAlgorithm": create["ChecksumAlgorithm"]} if "ChecksumAlgorithm" in create else {}
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=bytes([n]) * size, **extra)
        part = {"PartNumber": n, "ETag": r["ETag"]}
        part.update({k: v for k, v in r.items() if k.startswith("Checksum")})
        parts.append(part)
    return upload, parts


# -- a retried completion ---------------------------------------------------------------------------

def test_a_retried_completion_answers_the_same_result(s3, bucket):
    upload, parts = multipart(s3, bucket, "done", [5 * MiB, 1024])
    first = s3.complete_multipart_upload(Bucket=bucket, Key="done", UploadId=upload, MultipartUpload={"Parts": parts})
    # The client lost the first answer and sends the same request again: 200, the same result.
    again = s3.complete_multipart_upload(Bucket=bucket, Key="done", UploadId=upload, MultipartUpload={"Parts": parts})
    for field in ("ETag", "Bucket", "Key", "ChecksumCRC64NVME", "ChecksumType"):
        assert again.get(field) == first.get(field), field
    assert again["ETag"].endswith('-2"') and "ChecksumCRC64NVME" in again
    head = s3.head_object(Bucket=bucket, Key="done")
    assert head["ETag"] == first["ETag"] and head["ContentLength"] == 5 * MiB + 1024


def test_a_completion_retried_after_a_dropped_connection(server, s3, bucket):
    """The first CompleteMultipartUpload is sent whole and its connection dropped before the answer;
    boto3 then sends it again, as the SDKs' retry does, and gets 200 with the result."""
    import socket
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    upload, parts = multipart(s3, bucket, "dropped", [5 * MiB, 10])
    xml = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{p['PartNumber']}</PartNumber><ETag>{p['ETag']}</ETag></Part>" for p in parts) + "</CompleteMultipartUpload>"
    url = f"{server.endpoint}/{bucket}/dropped?uploadId={urllib.parse.quote(upload)}"
    req = AWSRequest(method="POST", url=url, data=xml.encode(),
                     headers={"x-amz-content-sha256": hashlib.sha256(xml.encode()).hexdigest()})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    u = urllib.parse.urlsplit(url)
    head = f"POST {u.path}?{u.query} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Length: {len(xml)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
    with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
        sock.sendall(head.encode() + xml.encode())
        sock.shutdown(socket.SHUT_WR)   # the client goes away without reading the answer
    deadline = time.monotonic() + 10
    while True:
        try:
            first = s3.head_object(Bucket=bucket, Key="dropped")
            break
        except ClientError:
            assert time.monotonic() < deadline, "the dropped completion never completed"
            time.sleep(0.1)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="dropped", UploadId=upload, MultipartUpload={"Parts": parts})
    assert again["ETag"] == first["ETag"] and again["ETag"].endswith('-2"')


def test_a_completion_retried_with_another_part_list_changes_nothing(s3, bucket):
    upload, parts = multipart(s3, bucket, "done", [5 * MiB, 1024])
    first = s3.complete_multipart_upload(Bucket=bucket, Key="done", UploadId=upload, MultipartUpload={"Parts": parts})
    before = s3.head_object(Bucket=bucket, Key="done")
    assert error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="done", UploadId=upload,
                                                      MultipartUpload={"Parts": parts[:1]})) == ("NoSuchUpload", 404)
    # The same upload ID under another key is not that completion either.
    assert error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="other", UploadId=upload,
                                                      MultipartUpload={"Parts": parts})) == ("NoSuchUpload", 404)
    after = s3.head_object(Bucket=bucket, Key="done")
    assert after["ETag"] == before["ETag"] == first["ETag"] and after["LastModified"] == before["LastModified"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="other")


def test_an_aborted_upload_is_still_no_such_upload(s3, bucket):
    upload, parts = multipart(s3, bucket, "gone", [1024])
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=upload)
    assert error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="gone", UploadId=upload,
                                                      MultipartUpload={"Parts": parts})) == ("NoSuchUpload", 404)


# -- 304 Not Modified ---------------------------------------------------------------------------------

def test_not_modified_carries_etag_and_last_modified(server, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="k", Body=b"validators")
    head = s3.head_object(Bucket=bucket, Key="k")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    for condition in (f"If-None-Match: {head['ETag']}", "If-Modified-Since: " + head["ResponseMetadata"]["HTTPHeaders"]["last-modified"]):
        r = server.curl("--include", "--header", condition, url, check=False)
        lines = r.stdout.decode("latin-1").split("\r\n")
        assert lines[0].split(" ")[1] == "304", lines
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        assert headers["etag"] == head["ETag"]
        assert headers["last-modified"] == head["ResponseMetadata"]["HTTPHeaders"]["last-modified"]


# -- listings -------------------------------------------------------------------------------------------

def test_max_keys_zero_lists_nothing_and_is_not_truncated(s3, bucket):
    for k in ("a", "b/c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    v2 = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert "Contents" not in v2 and "CommonPrefixes" not in v2
    assert v2["IsTruncated"] is False and v2["KeyCount"] == 0 and v2["MaxKeys"] == 0
    v1 = s3.list_objects(Bucket=bucket, MaxKeys=0, Delimiter="/")
    assert "Contents" not in v1 and "CommonPrefixes" not in v1 and v1["IsTruncated"] is False


def test_control_characters_in_prefix_marker_and_delimiter_round_trip(s3, bucket):
    keys = ["\n1", "\n2\x02x", "\n3", "z"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    # boto3 asks for encoding-type=url and decodes the fields S3 encodes.
    v1 = s3.list_objects(Bucket=bucket, Prefix="\n", Marker="\n1", Delimiter="\x02")
    assert (v1["Prefix"], v1["Marker"], v1["Delimiter"]) == ("\n", "\n1", "\x02")
    assert [o["Key"] for o in v1["Contents"]] == ["\n3"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["\n2\x02"]
    v2 = s3.list_objects_v2(Bucket=bucket, Prefix="\n", StartAfter="\n1", Delimiter="\x02")
    assert (v2["Prefix"], v2["StartAfter"], v2["Delimiter"]) == ("\n", "\n1", "\x02")
    assert [o["Key"] for o in v2["Contents"]] == ["\n3"]
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == ["\n2\x02"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix="\n", Delimiter="\x02")
    assert (versions["Prefix"], versions["Delimiter"]) == ("\n", "\x02")
    assert [v["Key"] for v in versions["Versions"]] == ["\n1", "\n3"]


def test_encoding_type_url_encodes_each_field_once(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="p q/%+\n", Body=b"x")
    # Asked for by the caller, boto3 leaves the fields as S3 sent them: percent-encoded exactly once.
    v2 = s3.list_objects_v2(Bucket=bucket, Prefix="p q", StartAfter="p", Delimiter="\n", EncodingType="url")
    assert (v2["Prefix"], v2["StartAfter"], v2["Delimiter"]) == ("p%20q", "p", "%0A")
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == ["p%20q/%25%2B%0A"]
    # The aws CLI decodes as boto3 does: the key comes back as stored.
    out = server.aws_json("s3api", "list-objects", "--bucket", bucket, "--prefix", "p q/")
    assert [o["Key"] for o in out["Contents"]] == ["p q/%+\n"] and out["Prefix"] == "p q/"


# -- metadata bytes -------------------------------------------------------------------------------------

def test_non_ascii_metadata_comes_back_as_the_bytes_sent(s3, bucket):
    def utf8_value(params, **_):
        params["headers"]["x-amz-meta-meta1"] = "Hello World\u00e9"
    s3.meta.events.register("before-call.s3.PutObject", utf8_value)
    try:
        s3.put_object(Bucket=bucket, Key="m", Body=b"x")   # botocore sends the value as UTF-8 bytes
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", utf8_value)
    url = s3.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "m"})
    status, headers, _ = raw_request(url, "HEAD")
    assert status == 200
    assert [v for k, v in headers if k.lower() == "x-amz-meta-meta1"] == ["Hello World\u00e9".encode("utf-8")]
    # boto3 (http.client) reads response header bytes as Latin-1: the same bytes, decoded as UTF-8, are the value sent.
    got = s3.head_object(Bucket=bucket, Key="m")["Metadata"]["meta1"]
    assert got.encode("latin-1").decode("utf-8") == "Hello World\u00e9"


def test_metadata_bytes_that_are_not_utf8_are_refused_and_store_nothing(server, s3, bucket):
    # SwiftNIO hands header values on as UTF-8 text: a raw Latin-1 byte arrives as U+FFFD, so the signature
    # the client made over the byte does not match (docs/compatibility.md). Refused whole, never stored altered.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = f"{server.endpoint}/{bucket}/latin1"
    req = AWSRequest(method="PUT", url=url, data=b"x",
                     headers={"x-amz-meta-a": "Hello World\u00e9", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    headers = {k: v.encode("latin-1") if isinstance(v, str) else v for k, v in req.headers.items()}
    headers["Content-Length"] = b"1"
    status, _, body = raw_request(url, "PUT", headers, b"x")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# -- bodies without Content-Length ----------------------------------------------------------------------

def test_plain_chunked_put_is_stored(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"chunked body " * 10000)
    signer = server.boto3_client(signature_version="s3v4")
    url = signer.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "c"}, ExpiresIn=600)
    # curl sends --upload-file with Transfer-Encoding: chunked (and no Content-Length) when told to.
    r = server.curl("--upload-file", str(src), "--header", "Transfer-Encoding: chunked", "--verbose", url)
    sent = [l.lower() for l in r.stderr.splitlines() if l.startswith(b"> ")]
    assert b"> transfer-encoding: chunked" in sent and not any(l.startswith(b"> content-length") for l in sent), sent
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == src.read_bytes()


def test_a_put_without_length_or_chunking_is_411(s3, bucket):
    signer_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "n"})
    status, _, body = raw_request(signer_url, "PUT")
    assert status == 411, body
    assert b"<Code>MissingContentLength</Code>" in body and b"<RequestId>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# -- presigned expiry -----------------------------------------------------------------------------------

def presign_v4(server, method: str, bucket: str, key: str, expires: int) -> str:
    """A SigV4 presigned URL for any X-Amz-Expires (boto3's generate_presigned_url refuses 0 and less)."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=f"{server.endpoint}/{bucket}/{key}")
    S3SigV4QueryAuth(Credentials(server.access_key, server.secret_key), "s3", server.region, expires=expires).add_auth(req)
    return req.url


@pytest.mark.parametrize("expires,status", [(0, 403), (604801, 403), (100000, 200)])
def test_presigned_lifetimes(server, s3, bucket, tmp_path, expires, status):
    s3.put_object(Bucket=bucket, Key="p", Body=b"presigned")
    url = presign_v4(server, "GET", bucket, "p", expires)
    assert f"X-Amz-Expires={expires}" in url
    got, body = curl_status(server, tmp_path, url)
    assert got == status, body
    if status == 403:
        assert b"<Code>AccessDenied</Code>" in body and b"<RequestId>" in body
    else:
        assert body == b"presigned"


def test_an_expired_presigned_put_is_403_and_stores_nothing(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"too late")
    url = presign_v4(server, "PUT", bucket, "late", -1000)
    status, body = curl_status(server, tmp_path, "--upload-file", str(src), url)
    assert status == 403, body
    assert b"<Code>AccessDenied</Code>" in body
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# -- invalid ranges and digests -------------------------------------------------------------------------

def test_upload_part_copy_outside_the_source_is_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"s" * 100)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    for bad in ("bytes=50-100", "bytes=100-120", "bytes=0-1000"):
        assert error(lambda: s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
                                                 CopySource={"Bucket": bucket, "Key": "src"},
                                                 CopySourceRange=bad)) == ("InvalidArgument", 400), bad
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dst", UploadId=upload)
    ok = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=0-99")
    assert ok["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(b"s" * 100).hexdigest()


def test_a_part_whose_sha256_does_not_match_is_bad_digest(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="d", ChecksumAlgorithm="SHA256")["UploadId"]
    wrong = base64.b64encode(hashlib.sha256(b"another body").digest()).decode()
    assert error(lambda: s3.upload_part(Bucket=bucket, Key="d", UploadId=upload, PartNumber=1, Body=b"the body",
                                        ChecksumSHA256=wrong)) == ("BadDigest", 400)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="d", UploadId=upload)


# -- GetObjectAttributes ---------------------------------------------------------------------------------

def test_get_object_attributes_after_a_multipart_upload_with_checksums(server, s3, bucket):
    upload, parts = multipart(s3, bucket, "attrs", [5 * MiB, 5 * MiB, 1000], ChecksumAlgorithm="SHA256")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="attrs", UploadId=upload, MultipartUpload={"Parts": parts})
    names = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    a = s3.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=names)
    assert a["ETag"] == done["ETag"].strip('"')
    assert a["Checksum"]["ChecksumSHA256"] == done["ChecksumSHA256"] and a["Checksum"]["ChecksumType"] == "COMPOSITE"
    assert a["StorageClass"] == "STANDARD" and a["ObjectSize"] == 10 * MiB + 1000
    assert a["LastModified"] == s3.head_object(Bucket=bucket, Key="attrs")["LastModified"]
    op = a["ObjectParts"]
    assert op["TotalPartsCount"] == 3 and op["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"], p["ChecksumSHA256"]) for p in op["Parts"]] == \
        [(p["PartNumber"], s, p["ChecksumSHA256"]) for p, s in zip(parts, [5 * MiB, 5 * MiB, 1000])]
    # The composite checksum is the SHA-256 of the part digests, "-3".
    digests = b"".join(base64.b64decode(p["ChecksumSHA256"]) for p in parts)
    assert a["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(digests).digest()).decode() + "-3"

    page = s3.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["ObjectParts"], MaxParts=2)
    assert page["ObjectParts"]["IsTruncated"] is True and page["ObjectParts"]["NextPartNumberMarker"] == 2
    assert [p["PartNumber"] for p in page["ObjectParts"]["Parts"]] == [1, 2] and "ETag" not in page
    rest = s3.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["ObjectParts"], MaxParts=2, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3] and rest["ObjectParts"]["IsTruncated"] is False

    # The aws CLI's get-object-attributes reads the same document.
    cli = server.aws_json("s3api", "get-object-attributes", "--bucket", bucket, "--key", "attrs",
                          "--object-attributes", "ObjectSize", "StorageClass")
    assert cli["ObjectSize"] == 10 * MiB + 1000 and cli["StorageClass"] == "STANDARD"


def test_get_object_attributes_of_a_plain_object_and_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain body")
    a = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ETag", "ObjectParts", "Checksum", "ObjectSize"])
    assert a["ETag"] == hashlib.md5(b"plain body").hexdigest() and a["ObjectSize"] == 10
    # boto3 sent a CRC32 with the PUT (its default): that is the object's checksum.
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    sent = {k: v for k, v in head.items() if k.startswith("Checksum") and k != "ChecksumType"}
    assert "ObjectParts" not in a and a["Checksum"]["ChecksumType"] == "FULL_OBJECT" and len(sent) == 1
    assert {k: v for k, v in a["Checksum"].items() if k != "ChecksumType"} == sent
    assert error(lambda: s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])) == ("NoSuchKey", 404)
    assert error(lambda: s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["Size"])) == ("InvalidArgument", 400)
    assert error(lambda: s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ETag"],
                                                  VersionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")) == ("InvalidArgument", 400)
    null = s3.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=["ObjectSize"], VersionId="null")
    assert null["ObjectSize"] == 10
