"""Upload tickets (`tessera tickets create|list|revoke`) on the S3 listener as `Authorization: Bearer`:
uploads under the ticket's prefix only, its byte cap charged from Content-Length before any body is read
(over it: EntityTooLarge, nothing stored), its file cap counting completed objects, expiry and revocation
(also of a request already under way, before its commit). Driven with curl, requests and boto3."""

from __future__ import annotations

import http.client
import re
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import requests

from daemon import BIN, client, own_daemon

pytestmark = pytest.mark.core

MiB = 1024 * 1024


def tessera(tmp_path, *args) -> str:
    out = subprocess.run([BIN, *args, "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def new_ticket(tmp_path, port, *args) -> tuple[str, str]:
    out = tessera(tmp_path, "tickets", "create", "--bucket", "drop", "--endpoint", f"http://127.0.0.1:{port}", *args)
    ticket = re.search(r"ticket: (\S+)", out).group(1)
    token = re.search(r"token:\s+(\S+)", out).group(1)
    assert f"http://127.0.0.1:{port}/_tessera/upload#ticket={token}" in out
    return ticket, token


def usage(tmp_path, ticket) -> list[str]:
    """The ticket's row in `tessera tickets list`: BYTES, FILES, STATE."""
    for line in tessera(tmp_path, "tickets", "list").splitlines():
        cols = line.split()
        if cols and cols[0] == ticket:
            return [cols[3], cols[4], cols[6]]
    raise AssertionError(f"{ticket} not listed")


def error_code(r: requests.Response) -> str:
    root = ET.fromstring(r.content)
    assert root.findtext("RequestId")
    return root.findtext("Code")


@pytest.fixture
def gateway(tmp_path):
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="drop")
        yield port, s3


def test_a_ticket_uploads_under_its_prefix_and_nothing_else(gateway, tmp_path):
    port, s3 = gateway
    base = f"http://127.0.0.1:{port}/drop"
    ticket, token = new_ticket(tmp_path, port, "--prefix", "in/", "--max-bytes", str(4 * MiB), "--max-files", "5")
    auth = {"Authorization": f"Bearer {token}"}
    # curl PUT under the prefix: stored, charged.
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", f"Authorization: Bearer {token}",
                          "--data-binary", "hello ticket", f"{base}/in/hello.txt"], capture_output=True, timeout=30)
    assert out.stdout == b"200", out
    assert s3.get_object(Bucket="drop", Key="in/hello.txt")["Body"].read() == b"hello ticket"
    assert usage(tmp_path, ticket) == [f"12/{4 * MiB}", "1/5", "active"]
    # Outside the prefix, in another bucket, or anything but an upload: AccessDenied, nothing stored.
    s3.create_bucket(Bucket="other")
    s3.put_object(Bucket="drop", Key="in/existing", Body=b"x")
    for method, url in (("PUT", f"{base}/out/x"), ("PUT", f"http://127.0.0.1:{port}/other/in/x"), ("GET", f"{base}/in/hello.txt"),
                        ("HEAD", f"{base}/in/hello.txt"), ("DELETE", f"{base}/in/existing"), ("GET", f"{base}?list-type=2"),
                        ("GET", f"http://127.0.0.1:{port}/"), ("PUT", f"{base}/in/x?acl"), ("GET", f"{base}?uploads&prefix=out/")):
        r = requests.request(method, url, headers=auth, data=b"x" if method == "PUT" else None)
        assert r.status_code == 403, (method, url, r.status_code)
        if method != "HEAD":
            assert error_code(r) == "AccessDenied"
    assert "Contents" not in s3.list_objects_v2(Bucket="drop", Prefix="out/")
    assert s3.get_object(Bucket="drop", Key="in/existing")["Body"].read() == b"x"
    assert "Contents" not in s3.list_objects_v2(Bucket="other")
    # A token that is not a ticket's, or with a wrong secret: AccessDenied.
    wrong = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    for bad in ("tkt_nope", wrong, "Bearer"):
        r = requests.put(f"{base}/in/y", headers={"Authorization": f"Bearer {bad}"}, data=b"y")
        assert r.status_code == 403 and error_code(r) == "AccessDenied"
    # What is left of it, as the upload page reads it.
    status = requests.get(f"http://127.0.0.1:{port}/_tessera/ticket", headers=auth).json()
    assert status == {"bucket": "drop", "prefix": "in/", "maxBytes": 4 * MiB, "bytesLeft": 4 * MiB - 12, "bytesUsed": 12,
                      "maxFiles": 5, "filesLeft": 4, "filesUsed": 1}


def test_the_byte_cap_is_charged_before_the_body_and_refuses_what_passes_it(gateway, tmp_path):
    port, s3 = gateway
    base = f"http://127.0.0.1:{port}/drop"
    ticket, token = new_ticket(tmp_path, port, "--max-bytes", str(6 * MiB))
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.put(f"{base}/a", headers=auth, data=b"a" * (5 * MiB)).status_code == 200
    # 2 MiB more would pass 6 MiB: EntityTooLarge, nothing stored, nothing charged.
    r = requests.put(f"{base}/b", headers=auth, data=b"b" * (2 * MiB))
    assert r.status_code == 400 and error_code(r) == "EntityTooLarge", r.text
    assert usage(tmp_path, ticket)[0] == f"{5 * MiB}/{6 * MiB}"
    assert "b" not in [o["Key"] for o in s3.list_objects_v2(Bucket="drop")["Contents"]]
    # A body without a declared length cannot be charged first: refused.
    r = requests.put(f"{base}/c", headers=auth, data=iter([b"c" * 10]))
    assert r.status_code == 411 and error_code(r) == "MissingContentLength"
    # A request that fails after its charge gives it back (a Content-MD5 that does not match).
    r = requests.put(f"{base}/d", headers={**auth, "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, data=b"d" * 1000)
    assert r.status_code == 400 and error_code(r) == "BadDigest"
    assert usage(tmp_path, ticket)[0] == f"{5 * MiB}/{6 * MiB}"
    # Multipart: parts are charged as they come; the completed object counts as a file.
    up = requests.post(f"{base}/mp?uploads", headers=auth)
    assert up.status_code == 200
    upload_id = ET.fromstring(up.content).findtext("{http://s3.amazonaws.com/doc/2006-03-01/}UploadId")
    r = requests.put(f"{base}/mp?partNumber=1&uploadId={upload_id}", headers=auth, data=b"p" * (2 * MiB))
    assert r.status_code == 400 and error_code(r) == "EntityTooLarge"
    r = requests.put(f"{base}/mp?partNumber=1&uploadId={upload_id}", headers=auth, data=b"p" * MiB)
    assert r.status_code == 200
    etag = r.headers["ETag"]
    listed = requests.get(f"{base}/mp?uploadId={upload_id}", headers=auth)
    assert listed.status_code == 200 and etag.strip('"') in listed.text
    body = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    done = requests.post(f"{base}/mp?uploadId={upload_id}", headers=auth, data=body)
    assert done.status_code == 200, done.text
    assert s3.head_object(Bucket="drop", Key="mp")["ContentLength"] == MiB
    assert usage(tmp_path, ticket)[:2] == [f"{6 * MiB}/{6 * MiB}", "2/-"]


def test_the_file_cap_counts_completed_objects(gateway, tmp_path):
    port, s3 = gateway
    base = f"http://127.0.0.1:{port}/drop"
    ticket, token = new_ticket(tmp_path, port, "--max-files", "2", "--content-type", "image/*")
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.put(f"{base}/1.png", headers={**auth, "Content-Type": "image/png"}, data=b"1").status_code == 200
    r = requests.put(f"{base}/x.txt", headers={**auth, "Content-Type": "text/plain"}, data=b"x")
    assert r.status_code == 403 and error_code(r) == "AccessDenied"
    assert requests.put(f"{base}/2.jpg", headers={**auth, "Content-Type": "image/jpeg"}, data=b"2").status_code == 200
    r = requests.put(f"{base}/3.gif", headers={**auth, "Content-Type": "image/gif"}, data=b"3")
    assert r.status_code == 403 and error_code(r) == "AccessDenied"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket="drop")["Contents"]) == ["1.png", "2.jpg"]
    assert usage(tmp_path, ticket)[1] == "2/2"


def test_expired_and_revoked_tickets_are_refused_even_mid_upload(gateway, tmp_path):
    port, s3 = gateway
    base = f"http://127.0.0.1:{port}/drop"
    _, short = new_ticket(tmp_path, port, "--expires", "1s")
    time.sleep(1.2)
    r = requests.put(f"{base}/late", headers={"Authorization": f"Bearer {short}"}, data=b"late")
    assert r.status_code == 403 and error_code(r) == "AccessDenied"
    ticket, token = new_ticket(tmp_path, port, "--expires", "1h")
    auth = {"Authorization": f"Bearer {token}"}
    # A body arriving slowly while the ticket is revoked: refused before its commit, nothing stored.
    started = threading.Event()
    result = {}

    def send_slowly():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.putrequest("PUT", "/drop/slow")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Length", str(2 * 65536))
        conn.endheaders()
        conn.send(b"s" * 65536)
        started.set()
        time.sleep(1.5)
        conn.send(b"s" * 65536)
        response = conn.getresponse()
        result.update(status=response.status, body=response.read())

    sender = threading.Thread(target=send_slowly)
    sender.start()
    assert started.wait(10)
    tessera(tmp_path, "tickets", "revoke", ticket)
    sender.join(30)
    assert result["status"] == 403 and ET.fromstring(result["body"]).findtext("Code") == "AccessDenied", result
    assert "Contents" not in s3.list_objects_v2(Bucket="drop")
    assert usage(tmp_path, ticket)[2] == "revoked"
    r = requests.put(f"{base}/after", headers=auth, data=b"a")
    assert r.status_code == 403
    # Revoking what does not exist fails loudly.
    out = subprocess.run([BIN, "tickets", "revoke", "0123456789abcdef", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "no such ticket" in out.stderr
