"""Presigned POST (browser form uploads): boto3 ``generate_presigned_post`` with SigV2 (the
default in us-east-1) and SigV4 (``s3v4``), sent with ``requests`` and with ``curl -F``."""

import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError

from itutil import KiB, MiB, ODD_KEY, client_error_code, md5_hex, random_bytes

pytestmark = pytest.mark.presigned

SIGNERS = {"sigv2-default": {}, "sigv4": {"signature_version": "s3v4"}}


@pytest.fixture(params=list(SIGNERS))
def signer(request, server):
    """(name, boto3 client) pair used only to generate presigned POST forms."""
    return request.param, server.boto3_client(**SIGNERS[request.param])


@pytest.fixture
def http():
    """A requests session that never goes through a proxy."""
    s = requests.Session()
    s.trust_env = False
    yield s
    s.close()


def _presign(client, bucket, key, fields=None, conditions=None, expires=3600):
    return client.generate_presigned_post(bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires)


def _post(http, post, data, *, filename="upload.bin", extra=None, drop=()):
    """Send the form as a browser would: the fields, then ``file`` last."""
    fields = {k: v for k, v in post["fields"].items() if k not in drop}
    fields.update(extra or {})
    return http.post(post["url"], data=fields, files={"file": (filename, data)},
                     allow_redirects=False, timeout=60)


def _error(resp):
    root = ET.fromstring(resp.content)
    return root.findtext("Code"), root.findtext("Message")


def _exists(s3, bucket, key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        assert client_error_code(e) in ("404", "NoSuchKey"), e
        return False


def test_presigned_post_fields(signer, bucket):
    name, client = signer
    fields = _presign(client, bucket, "k")["fields"]
    if name == "sigv4":
        assert set(fields) == {"key", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy", "x-amz-signature"}
    else:
        assert set(fields) == {"key", "AWSAccessKeyId", "policy", "signature"}


@pytest.mark.parametrize("key,size", [("post/small.txt", 1 * KiB), (ODD_KEY, 3 * MiB + 17), ("post/empty", 0)],
                         ids=["1KiB", "odd-key-3MiB", "empty"])
def test_post_upload_round_trip_with_requests(server, s3, signer, bucket, http, key, size):
    _, client = signer
    data = random_bytes(size)
    resp = _post(http, _presign(client, bucket, key), data)
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert resp.headers["ETag"] == f'"{md5_hex(data)}"'
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert got["ETag"] == f'"{md5_hex(data)}"'


def test_post_upload_with_curl(server, s3, signer, bucket, tmp_path):
    _, client = signer
    data = random_bytes(2 * MiB)
    src = tmp_path / "photo.bin"
    src.write_bytes(data)
    post = _presign(client, bucket, "curl/${filename}")
    args = []
    for k, v in post["fields"].items():
        args += ["--form-string", f"{k}={v}"]
    out = tmp_path / "out"
    r = server.curl("--output", str(out), "--write-out", "%{http_code}", *args,
                    "-F", f"file=@{src}", post["url"], check=False)
    assert r.stdout.decode().strip() == "204", out.read_bytes()
    assert s3.get_object(Bucket=bucket, Key="curl/photo.bin")["Body"].read() == data


def test_post_virtual_hosted_with_curl(server, s3, bucket, tmp_path):
    if server.domain != "localhost":
        pytest.skip("server was not started with --domain localhost")
    client = server.boto3_client(endpoint_url=f"http://localhost:{server.port}", s3={"addressing_style": "virtual"},
                                 signature_version="s3v4")
    post = _presign(client, bucket, "vhost.txt")
    assert urlsplit(post["url"]).hostname == f"{bucket}.localhost"
    src = tmp_path / "v.txt"
    src.write_bytes(b"virtual hosted form upload")
    args = []
    for k, v in post["fields"].items():
        args += ["--form-string", f"{k}={v}"]
    server.curl("--resolve", f"{bucket}.localhost:{server.port}:127.0.0.1", *args, "-F", f"file=@{src}", post["url"])
    assert s3.get_object(Bucket=bucket, Key="vhost.txt")["Body"].read() == b"virtual hosted form upload"


def test_post_stores_form_metadata(s3, signer, bucket, http):
    _, client = signer
    fields = {"Content-Type": "text/plain", "Cache-Control": "max-age=60", "Content-Disposition": "inline",
              "x-amz-meta-color": "blue", "acl": "private"}
    post = _presign(client, bucket, "meta.txt", fields=fields, conditions=[{k: v} for k, v in fields.items()])
    resp = _post(http, post, b"hello")
    assert resp.status_code == 204, resp.text
    head = s3.head_object(Bucket=bucket, Key="meta.txt")
    assert head["ContentType"] == "text/plain"
    assert head["CacheControl"] == "max-age=60"
    assert head["ContentDisposition"] == "inline"
    assert head["Metadata"] == {"color": "blue"}


def test_post_filename_variable(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "uploads/${filename}")
    resp = _post(http, post, b"named by the browser", filename="report.pdf")
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=bucket, Key="uploads/report.pdf")["Body"].read() == b"named by the browser"


def test_content_length_range(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "sized", conditions=[["content-length-range", 10, 1000]])
    resp = _post(http, post, random_bytes(1001))
    assert resp.status_code == 400
    assert _error(resp)[0] == "EntityTooLarge"
    assert not _exists(s3, bucket, "sized")
    # far over the limit: rejected while streaming, nothing stored
    resp = _post(http, post, random_bytes(4 * MiB))
    assert resp.status_code == 400
    assert _error(resp)[0] == "EntityTooLarge"
    resp = _post(http, post, b"tiny")
    assert resp.status_code == 400
    assert _error(resp)[0] == "EntityTooSmall"
    assert not _exists(s3, bucket, "sized")
    resp = _post(http, post, b"just right")
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=bucket, Key="sized")["Body"].read() == b"just right"


def test_starts_with_key_violated(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "user/alice/${filename}")
    assert ["starts-with", "$key", "user/alice/"] in _conditions(post)
    resp = _post(http, post, b"x", extra={"key": "user/bob/x"})
    assert resp.status_code == 403
    code, message = _error(resp)
    assert code == "AccessDenied"
    assert "Policy Condition failed" in message
    assert not _exists(s3, bucket, "user/bob/x")


def _conditions(post):
    import base64
    import json
    return json.loads(base64.b64decode(post["fields"]["policy"]))["conditions"]


def test_expired_policy(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "late", expires=1)
    time.sleep(2.5)
    resp = _post(http, post, b"too late")
    assert resp.status_code == 403
    assert _error(resp) == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    assert not _exists(s3, bucket, "late")


def test_tampered_signature(s3, signer, bucket, http):
    name, client = signer
    post = _presign(client, bucket, "tampered")
    field = "x-amz-signature" if name == "sigv4" else "signature"
    sig = post["fields"][field]
    post["fields"][field] = ("0" if sig[0] != "0" else "1") + sig[1:]
    resp = _post(http, post, b"x")
    assert resp.status_code == 403
    assert _error(resp)[0] == "SignatureDoesNotMatch"
    # a policy other than the signed one
    post = _presign(client, bucket, "tampered")
    other = _presign(client, bucket, "tampered", conditions=[["content-length-range", 0, 5]])
    post["fields"]["policy"] = other["fields"]["policy"]
    resp = _post(http, post, b"x")
    assert resp.status_code == 403
    assert _error(resp)[0] == "SignatureDoesNotMatch"
    assert not _exists(s3, bucket, "tampered")


def test_unknown_access_key(server, bucket, http):
    client = server.boto3_client(access_key="AKIDNOTKNOWN00000000", secret_key="nope", signature_version="s3v4")
    resp = _post(http, _presign(client, bucket, "k"), b"x")
    assert resp.status_code == 403
    assert _error(resp)[0] == "InvalidAccessKeyId"


def test_extra_field_not_in_policy(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "extra")
    resp = _post(http, post, b"x", extra={"x-amz-meta-sneaky": "1"})
    assert resp.status_code == 403
    assert _error(resp) == ("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")
    # x-ignore-* fields need no condition
    resp = _post(http, post, b"x", extra={"x-ignore-tracking": "1"})
    assert resp.status_code == 204, resp.text


def test_success_action_status_201(s3, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "created.txt", fields={"success_action_status": "201"},
                    conditions=[{"success_action_status": "201"}])
    resp = _post(http, post, b"created")
    assert resp.status_code == 201, resp.text
    root = ET.fromstring(resp.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "created.txt"
    assert root.findtext("ETag") == f'"{md5_hex(b"created")}"'
    assert root.findtext("Location").endswith(f"/{bucket}/created.txt")
    assert resp.headers["ETag"] == f'"{md5_hex(b"created")}"'


def test_success_action_status_200(signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "ok.txt", fields={"success_action_status": "200"},
                    conditions=[{"success_action_status": "200"}])
    resp = _post(http, post, b"ok")
    assert resp.status_code == 200
    assert resp.content == b""


def test_success_action_redirect(s3, signer, bucket, http):
    _, client = signer
    target = "http://app.example/done?from=form"
    post = _presign(client, bucket, "redir.txt", fields={"success_action_redirect": target},
                    conditions=[["starts-with", "$success_action_redirect", "http://app.example/"]])
    resp = _post(http, post, b"redirected")
    assert resp.status_code == 303, resp.text
    loc = urlsplit(resp.headers["Location"])
    assert (loc.scheme, loc.netloc, loc.path) == ("http", "app.example", "/done")
    q = parse_qs(loc.query)
    assert q == {"from": ["form"], "bucket": [bucket], "key": ["redir.txt"], "etag": [f'"{md5_hex(b"redirected")}"']}
    assert resp.headers["ETag"] == f'"{md5_hex(b"redirected")}"'
    assert s3.get_object(Bucket=bucket, Key="redir.txt")["Body"].read() == b"redirected"


def test_missing_file_and_anonymous_posts(server, signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "nofile")
    resp = http.post(post["url"], files={k: (None, v) for k, v in post["fields"].items()}, timeout=60)
    assert resp.status_code == 400
    assert _error(resp)[0] == "InvalidArgument"
    # no credentials at all: anonymous, and no bucket is public
    resp = http.post(post["url"], data={"key": "anon"}, files={"file": ("a", b"x")}, timeout=60)
    assert resp.status_code == 403
    assert _error(resp)[0] == "AccessDenied"


def test_fields_after_file_are_ignored_and_boundaries_in_data(s3, bucket, server, http):
    """A hand-built body: binary data full of CR LF and boundary prefixes, then a field after `file`."""
    client = server.boto3_client(signature_version="s3v4")
    post = _presign(client, bucket, "hand.bin")
    boundary = "----tessera" + uuid.uuid4().hex
    data = (b"\r\n--" + boundary[:-3].encode() + b"\r\n\r\r\n-") * 5000 + random_bytes(100 * KiB)
    parts = []
    for k, v in post["fields"].items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="h.bin"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="x-amz-meta-after"\r\n\r\nignored\r\n'.encode())
    parts.append(f"--{boundary}--\r\n".encode())
    resp = http.post(post["url"], data=b"".join(parts), timeout=60,
                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status_code == 204, resp.text
    got = s3.get_object(Bucket=bucket, Key="hand.bin")
    assert got["Body"].read() == data
    assert got["Metadata"] == {}


def test_malformed_multipart(server, bucket, http):
    resp = http.post(f"{server.endpoint}/{bucket}", data=b"garbage without boundary", timeout=60,
                     headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert resp.status_code == 400
    assert _error(resp)[0] == "MalformedPOSTRequest"


def test_content_md5_field(s3, signer, bucket, http):
    import base64
    import hashlib
    _, client = signer
    data = b"checked by md5"
    good = base64.b64encode(hashlib.md5(data).digest()).decode()
    post = _presign(client, bucket, "md5.txt", conditions=[["starts-with", "$Content-MD5", ""]])
    resp = _post(http, post, data, extra={"Content-MD5": base64.b64encode(hashlib.md5(b"other").digest()).decode()})
    assert resp.status_code == 400
    assert _error(resp)[0] == "BadDigest"
    assert not _exists(s3, bucket, "md5.txt")
    resp = _post(http, post, data, extra={"Content-MD5": good})
    assert resp.status_code == 204, resp.text
    assert s3.get_object(Bucket=bucket, Key="md5.txt")["Body"].read() == data


def test_oversized_field_before_file(signer, bucket, http):
    _, client = signer
    post = _presign(client, bucket, "big-field")
    resp = _post(http, post, b"x", extra={"x-ignore-padding": "p" * (30 * KiB)})
    assert resp.status_code == 400
    assert _error(resp)[0] == "MaxPostPreDataLengthExceeded"
