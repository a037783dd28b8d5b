"""Bucket CORS (Put/Get/DeleteBucketCors, preflights answered before authentication, headers on actual
and error responses) with boto3 and curl, and the Worker and task APIs' --worker-cors-origins /
--tasks-cors-origins."""

from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from daemon import client, free_port, own_daemon

pytestmark = pytest.mark.cors

APP = "https://app.example.com"
OTHER = "https://evil.example.org"
RULES = {
    "CORSRules": [
        {"ID": "browser-uploads", "AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["PUT", "POST", "GET", "HEAD"],
         "AllowedHeaders": ["Content-Type", "x-amz-*", "Authorization"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
         "MaxAgeSeconds": 600},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cors")
    worker, tasks = free_port(), free_port()
    with own_daemon(tmp, "--worker-listen", f"127.0.0.1:{worker}", "--worker-bucket", "worker-files", "--worker-token", "wtok",
                    "--worker-cors-origins", "http://localhost:*,https://worker.example",
                    "--tasks-listen", f"127.0.0.1:{tasks}", "--tasks-bucket", "task-files", "--tasks-token", "ttok",
                    "--tasks-cors-origins", "https://tasks.example") as port:
        s3 = client(port, signature_version="s3v4")   # presigned URLs in SigV4 query form
        s3.create_bucket(Bucket="cors")
        s3.put_bucket_cors(Bucket="cors", CORSConfiguration=RULES)
        s3.create_bucket(Bucket="plain")
        s3.put_object(Bucket="cors", Key="hello.txt", Body=b"hello")
        s3.put_object(Bucket="plain", Key="hello.txt", Body=b"hello")
        yield {"s3": s3, "base": f"http://127.0.0.1:{port}", "worker": f"http://127.0.0.1:{worker}",
               "tasks": f"http://127.0.0.1:{tasks}", "data": tmp / "data"}


def curl(method: str, url: str, *headers: str, body: bytes | None = None):
    """(status, lower-cased headers, body) of one request made with curl."""
    args = ["curl", "-sS", "-i", "-X", method, "--max-time", "30"]
    if method == "HEAD":
        args = ["curl", "-sS", "-I", "--max-time", "30"]
    for h in headers:
        args += ["-H", h]
    if body is not None:
        args += ["--data-binary", "@-"]
    out = subprocess.run(args + [url], input=body, capture_output=True, timeout=60, check=True).stdout
    head, _, rest = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        fields[name] = (fields[name] + ", " if name in fields else "") + value.strip()
    return status, fields, rest


def error_code(body: bytes) -> tuple[str, ET.Element]:
    root = ET.fromstring(body)
    assert root.tag == "Error" and root.findtext("RequestId"), body
    return root.findtext("Code"), root


def test_cors_api_round_trip(gateway, tmp_path):
    s3 = gateway["s3"]
    s3.create_bucket(Bucket="roundtrip")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket="roundtrip")
    assert e.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.put_bucket_cors(Bucket="roundtrip", CORSConfiguration=RULES)
    got = s3.get_bucket_cors(Bucket="roundtrip")["CORSRules"]
    assert got == RULES["CORSRules"]
    s3.put_bucket_cors(Bucket="roundtrip", CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["DELETE"]}]})
    assert s3.get_bucket_cors(Bucket="roundtrip")["CORSRules"] == [{"AllowedOrigins": ["*"], "AllowedMethods": ["DELETE"]}]
    assert s3.delete_bucket_cors(Bucket="roundtrip")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket="roundtrip")
    assert e.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket="no-such-bucket-here")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
    # The document GetBucketCors answers is S3's, in its namespace (read raw with curl).
    s3.put_bucket_cors(Bucket="roundtrip", CORSConfiguration=RULES)
    status, _, body = curl("GET", s3.generate_presigned_url("get_bucket_cors", Params={"Bucket": "roundtrip"}))
    root = ET.fromstring(body)
    assert status == 200 and root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}CORSConfiguration" and len(root) == 2


@pytest.mark.parametrize("rule,code", [
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["https://*.*.example"], "AllowedMethods": ["GET"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ID": "i" * 256}, "InvalidArgument"),
])
def test_invalid_configurations_are_refused_and_change_nothing(gateway, rule, code):
    s3 = gateway["s3"]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket="cors", CORSConfiguration={"CORSRules": [rule]})
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert s3.get_bucket_cors(Bucket="cors")["CORSRules"] == RULES["CORSRules"]


def test_malformed_and_oversized_configurations(gateway):
    s3 = gateway["s3"]
    many = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket="cors", CORSConfiguration=many)
    assert e.value.response["Error"]["Code"] == "InvalidRequest"
    # A rule without AllowedMethod (which boto3 would not send): the body is replaced before signing.
    def replace_body(request, **_):
        request.data = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>"
        for name in list(request.headers.keys()):
            if name.lower().startswith(("x-amz-checksum-", "x-amz-sdk-checksum")) or name.lower() == "content-md5":
                del request.headers[name]
        request.headers["Content-Length"] = str(len(request.data))
    s3.meta.events.register("before-sign.s3.PutBucketCors", replace_body)
    try:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_cors(Bucket="cors", CORSConfiguration=RULES)
    finally:
        s3.meta.events.unregister("before-sign.s3.PutBucketCors", replace_body)
    assert e.value.response["Error"]["Code"] == "MalformedXML"
    assert s3.get_bucket_cors(Bucket="cors")["CORSRules"] == RULES["CORSRules"]


def test_preflight_allowed(gateway):
    base = gateway["base"]
    status, h, body = curl("OPTIONS", f"{base}/cors/uploads/a.bin", f"Origin: {APP}", "Access-Control-Request-Method: PUT",
                           "Access-Control-Request-Headers: Content-Type, X-Amz-Date, x-amz-content-sha256, authorization")
    assert status == 200, body
    assert h["access-control-allow-origin"] == APP
    assert h["access-control-allow-methods"] == "PUT, POST, GET, HEAD"
    assert h["access-control-allow-headers"] == "content-type, x-amz-date, x-amz-content-sha256, authorization"
    assert h["access-control-max-age"] == "600"
    assert h["access-control-expose-headers"] == "ETag, x-amz-request-id"
    assert "Origin" in h["vary"]
    assert h.get("x-amz-request-id")
    # On the bucket too (ListObjects, PostObject), and by the second rule for anyone's GET.
    status, h, _ = curl("OPTIONS", f"{base}/cors", f"Origin: {OTHER}", "Access-Control-Request-Method: GET")
    assert status == 200 and h["access-control-allow-origin"] == "*" and "access-control-allow-credentials" not in h


@pytest.mark.parametrize("bucket,headers,resource_type", [
    ("cors", [f"Origin: {OTHER}", "Access-Control-Request-Method: PUT"], "OBJECT"),            # origin not allowed for PUT
    ("cors", [f"Origin: {APP}", "Access-Control-Request-Method: DELETE"], "OBJECT"),           # method not allowed
    ("cors", [f"Origin: {APP}", "Access-Control-Request-Method: PUT",
              "Access-Control-Request-Headers: content-type, x-custom"], "OBJECT"),                # a header not allowed
    ("plain", [f"Origin: {APP}", "Access-Control-Request-Method: GET"], "OBJECT"),             # bucket without CORS
])
def test_preflight_denied(gateway, bucket, headers, resource_type):
    status, h, body = curl("OPTIONS", f"{gateway['base']}/{bucket}/k", *headers)
    assert status == 403
    code, root = error_code(body)
    assert code == "AccessForbidden" and root.findtext("ResourceType") == resource_type
    assert "access-control-allow-origin" not in h


def test_preflight_without_origin_and_without_method(gateway):
    status, h, body = curl("OPTIONS", f"{gateway['base']}/cors/k", "Access-Control-Request-Method: PUT")
    assert status == 400 and error_code(body)[0] == "BadRequest" and "access-control-allow-origin" not in h
    status, _, body = curl("OPTIONS", f"{gateway['base']}/cors/k", f"Origin: {APP}")
    assert status == 400 and error_code(body)[0] == "BadRequest"


def test_actual_requests_carry_the_headers(gateway):
    s3 = gateway["s3"]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "cors", "Key": "hello.txt"})
    status, h, body = curl("GET", url, f"Origin: {APP}")
    assert status == 200 and body == b"hello"
    assert h["access-control-allow-origin"] == APP
    assert h["access-control-expose-headers"] == "ETag, x-amz-request-id"
    assert h["access-control-allow-credentials"] == "true"
    assert "Origin" in h["vary"]
    # An origin only the second rule admits, for GET.
    status, h, _ = curl("GET", url, f"Origin: {OTHER}")
    assert status == 200 and h["access-control-allow-origin"] == "*" and "access-control-expose-headers" not in h
    # No Origin: no CORS headers at all.
    status, h, _ = curl("GET", url)
    assert status == 200 and not any(k.startswith("access-control-") for k in h) and "vary" not in h
    # A bucket without CORS: none either, Origin or not.
    plain = s3.generate_presigned_url("get_object", Params={"Bucket": "plain", "Key": "hello.txt"})
    status, h, _ = curl("GET", plain, f"Origin: {APP}")
    assert status == 200 and not any(k.startswith("access-control-") for k in h)
    # A PUT from the browser's origin through boto3 (which lets us add the Origin header).
    def add_origin(request, **_):
        request.headers["Origin"] = APP
    s3.meta.events.register("before-sign.s3.PutObject", add_origin)
    try:
        r = s3.put_object(Bucket="cors", Key="from-browser.bin", Body=b"x" * 100)
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", add_origin)
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    assert headers["access-control-allow-origin"] == APP and "ETag" in headers["access-control-expose-headers"]


def test_error_responses_carry_the_headers(gateway):
    s3, base = gateway["s3"], gateway["base"]
    missing = s3.generate_presigned_url("get_object", Params={"Bucket": "cors", "Key": "no-such-key"})
    status, h, body = curl("GET", missing, f"Origin: {APP}")
    assert status == 404 and error_code(body)[0] == "NoSuchKey"
    assert h["access-control-allow-origin"] == APP and h["access-control-expose-headers"] == "ETag, x-amz-request-id"
    # Unsigned: AccessDenied, still readable by the page that sent it.
    status, h, body = curl("GET", f"{base}/cors/hello.txt", f"Origin: {APP}")
    assert status == 403 and error_code(body)[0] == "AccessDenied"
    assert h["access-control-allow-origin"] == APP
    # A forged signature.
    forged = re.sub(r"X-Amz-Signature=[0-9a-f]{64}", "X-Amz-Signature=" + "0" * 64, missing)
    status, h, body = curl("GET", forged, f"Origin: {APP}")
    assert status == 403 and error_code(body)[0] == "SignatureDoesNotMatch" and h["access-control-allow-origin"] == APP


def test_cors_is_read_per_request_so_a_change_applies_at_once(gateway):
    s3, base = gateway["s3"], gateway["base"]
    s3.create_bucket(Bucket="changing")
    ask = lambda: curl("OPTIONS", f"{base}/changing/k", f"Origin: {APP}", "Access-Control-Request-Method: PUT")[0]
    assert ask() == 403
    s3.put_bucket_cors(Bucket="changing", CORSConfiguration={"CORSRules": [{"AllowedOrigins": [APP], "AllowedMethods": ["PUT"]}]})
    assert ask() == 200
    s3.delete_bucket_cors(Bucket="changing")
    assert ask() == 403


def test_worker_api_cors(gateway):
    w = gateway["worker"]
    status, h, _ = curl("OPTIONS", f"{w}/k?action=mpu-create", "Origin: http://localhost:3000",
                        "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization, content-type")
    assert status == 200 and h["access-control-allow-origin"] == "http://localhost:3000"
    assert h["access-control-allow-headers"] == "authorization, content-type"
    status, h, body = curl("OPTIONS", f"{w}/k?action=mpu-create", f"Origin: {OTHER}", "Access-Control-Request-Method: POST")
    assert status == 403 and "access-control-allow-origin" not in h
    status, _, _ = curl("OPTIONS", f"{w}/k?action=mpu-create", "Access-Control-Request-Method: POST")
    assert status == 400
    # Actual responses: a success and an error (no token) both carry the origin's headers.
    status, h, _ = curl("POST", f"{w}/k?action=mpu-create", "Origin: https://worker.example", "Authorization: Bearer wtok")
    assert status == 200 and h["access-control-allow-origin"] == "https://worker.example" and h["access-control-expose-headers"] == "ETag"
    status, h, _ = curl("POST", f"{w}/k?action=mpu-create", "Origin: https://worker.example")
    assert status == 401 and h["access-control-allow-origin"] == "https://worker.example"
    status, h, _ = curl("POST", f"{w}/k?action=mpu-create", f"Origin: {OTHER}", "Authorization: Bearer wtok")
    assert status == 200 and "access-control-allow-origin" not in h


def test_tasks_api_cors(gateway):
    t = gateway["tasks"]
    status, h, _ = curl("OPTIONS", f"{t}/api/files/upload/create", "Origin: https://tasks.example",
                        "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type")
    assert status == 200 and h["access-control-allow-origin"] == "https://tasks.example"
    status, _, body = curl("OPTIONS", f"{t}/api/files/upload/create", "Origin: http://localhost:3000", "Access-Control-Request-Method: POST")
    assert status == 403 and b"CORS" in body
    status, h, _ = curl("GET", f"{t}/api/files/nothing", "Origin: https://tasks.example")
    assert status == 401 and h["access-control-allow-origin"] == "https://tasks.example"


def test_without_flags_the_json_front_ends_refuse_preflights(tmp_path):
    worker = free_port()
    with own_daemon(tmp_path, "--worker-listen", f"127.0.0.1:{worker}", "--worker-token", "wtok"):
        status, h, _ = curl("OPTIONS", f"http://127.0.0.1:{worker}/k?action=mpu-create", "Origin: http://localhost:3000",
                            "Access-Control-Request-Method: POST")
        assert status == 403 and "access-control-allow-origin" not in h
        status, h, _ = curl("POST", f"http://127.0.0.1:{worker}/k?action=mpu-create", "Origin: http://localhost:3000",
                            "Authorization: Bearer wtok")
        assert status == 200 and "access-control-allow-origin" not in h


def test_a_damaged_stored_configuration_is_refused_loudly(gateway):
    s3, base = gateway["s3"], gateway["base"]
    s3.create_bucket(Bucket="damaged")
    s3.put_bucket_cors(Bucket="damaged", CORSConfiguration={"CORSRules": [{"AllowedOrigins": [APP], "AllowedMethods": ["GET"]}]})
    s3.put_object(Bucket="damaged", Key="k", Body=b"data")
    subprocess.run(["sqlite3", str(gateway["data"] / "metadata.sqlite"),
                    "UPDATE bucket_config SET value = '<CORSConfiguration><CORSRule>' WHERE bucket = 'damaged' AND name = 'cors'"],
                   check=True, timeout=30)
    # Changed beside the daemon, as another gateway would: it applies once the bucket's cached access (rules
    # included) is a second old.
    time.sleep(1.2)
    # Not read as "no rules": the preflight fails with InternalError, and the stored bytes are left as they are.
    status, h, body = curl("OPTIONS", f"{base}/damaged/k", f"Origin: {APP}", "Access-Control-Request-Method: GET")
    assert status == 500 and error_code(body)[0] == "InternalError" and "access-control-allow-origin" not in h
    # The object itself is still served; no CORS header is invented for it.
    status, h, body = curl("GET", s3.generate_presigned_url("get_object", Params={"Bucket": "damaged", "Key": "k"}), f"Origin: {APP}")
    assert status == 200 and body == b"data" and "access-control-allow-origin" not in h
    stored = subprocess.run(["sqlite3", str(gateway["data"] / "metadata.sqlite"),
                             "SELECT value FROM bucket_config WHERE bucket = 'damaged' AND name = 'cors'"],
                            capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert stored == "<CORSConfiguration><CORSRule>"
