"""The upload page (/_tessera/upload) in headless Chromium (Debian's chromium and chromium-driver, selenium
from PyPI), and a page on a second origin uploading under bucket CORS. Every test drives the page through
its stable hooks: input[type=file], data-state / data-progress / data-etag on each file row, and
data-action buttons. A screenshot of the page mid-upload is kept (TESSERA_ARTIFACTS, else the test's
temporary directory) and its path printed."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, free_port, own_daemon
from itutil import multipart_etag_of_file

pytestmark = pytest.mark.browser

MiB = 1024 * 1024
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


def browser():
    assert CHROMIUM and CHROMEDRIVER, "chromium and chromium-driver are needed (scripts/ensure-packages.sh test installs them)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900", "--disable-gpu"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("upload-page")
    admin = free_port()
    with own_daemon(tmp, "--admin-listen", f"127.0.0.1:{admin}") as port:
        s3 = client(port)
        s3.create_bucket(Bucket="drop")
        yield {"port": port, "s3": s3, "admin": admin, "tmp": tmp}


@pytest.fixture
def chrome():
    driver = browser()
    try:
        yield driver
    finally:
        driver.quit()


def artifact_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("TESSERA_ARTIFACTS", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(params=["keys", "ticket"])
def mode(request):
    """The page's two ways in: an access key typed into its form, or a ticket link (`tessera tickets create`)."""
    return request.param


def ticket_link(gateway, prefix: str, *extra: str) -> str:
    out = subprocess.run([BIN, "tickets", "create", "--bucket", "drop", "--prefix", prefix, "--data-dir", str(gateway["tmp"] / "data"),
                          "--endpoint", f"http://127.0.0.1:{gateway['port']}", *extra], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return re.search(r"link:\s+(\S+)", out.stdout).group(1)


def open_page(driver, gateway, prefix="", mode="keys", link=None, ticket_limits=()):
    """The page with a key typed in, or opened from a ticket link (a new ticket for `prefix`, or `link`)."""
    from selenium.webdriver.common.by import By
    if mode == "ticket":
        link = link or ticket_link(gateway, prefix + "/" if prefix else "", *ticket_limits)
        driver.get(link)
        wait_for(lambda: driver.find_element(By.ID, "ticket").get_attribute("data-state") == "active", timeout=20,
                 what="the page to read its ticket")
        assert not driver.find_element(By.ID, "key-fields").is_displayed()
        return link
    driver.get(f"http://127.0.0.1:{gateway['port']}/_tessera/upload")
    for name, value in (("bucket", "drop"), ("prefix", prefix), ("access-key", ACCESS_KEY), ("secret-key", SECRET_KEY)):
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def choose(driver, *paths: Path):
    from selenium.webdriver.common.by import By
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys("\n".join(str(p) for p in paths))


def rows(driver):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, "[data-state][data-index]")


def wait_for(predicate, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def received_bytes(gateway, operation: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{gateway['admin']}/metrics", timeout=10).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("tessera_s3_received_bytes_total") and f'operation="{operation}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def slow_network(driver, bytes_per_second: int):
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second})


def test_page_is_served_with_a_strict_policy(gateway):
    base = f"http://127.0.0.1:{gateway['port']}/_tessera/"
    with urllib.request.urlopen(base + "upload") as r:
        html = r.read().decode()
        csp = r.headers["Content-Security-Policy"]
        assert r.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, "no inline scripts"
    assert "http://" not in html and "https://" not in html, "nothing from elsewhere"
    for asset, kind in (("upload.js", "text/javascript"), ("upload.css", "text/css")):
        with urllib.request.urlopen(base + asset) as r:
            assert r.headers["Content-Type"].startswith(kind)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(base + "other")
    assert e.value.code == 404


def test_a_ticket_link_followed_from_the_page_itself(gateway, chrome):
    """Only the fragment changes (no new page load): the page still takes the ticket."""
    from selenium.webdriver.common.by import By
    link = ticket_link(gateway, "followed/", "--max-files", "3")
    chrome.get(f"http://127.0.0.1:{gateway['port']}/_tessera/upload")
    assert chrome.find_element(By.ID, "ticket").get_attribute("hidden") is not None
    chrome.execute_script("location.hash = arguments[0]", link.split("#", 1)[1])
    wait_for(lambda: chrome.find_element(By.ID, "ticket").get_attribute("data-state") == "active", timeout=20, what="the ticket taken")
    assert chrome.find_element(By.NAME, "prefix").get_attribute("value") == "followed/"
    assert "3 of 3 files left" in chrome.find_element(By.ID, "ticket").text


def test_upload_40_mib_and_3_kib(gateway, chrome, tmp_path, mode):
    from selenium.webdriver.common.by import By
    big, small = tmp_path / "big.bin", tmp_path / "small.txt"
    big.write_bytes(os.urandom(40 * MiB))
    small.write_bytes(os.urandom(3 * 1024))
    prefix = "batch-" + mode
    open_page(chrome, gateway, prefix=prefix, mode=mode, ticket_limits=("--max-bytes", str(1 << 30), "--max-files", "10", "--expires", "7d"))
    slow_network(chrome, 20 * MiB)   # 2 s or so: long enough to see it mid-upload
    choose(chrome, big, small)
    wait_for(lambda: any(r.get_attribute("data-state") == "uploading" and 0 < int(r.get_attribute("data-progress")) < 100
                         for r in rows(chrome)), what="an upload in progress")
    shot = artifact_dir(tmp_path) / f"upload-page-mid-upload-{mode}.png"
    chrome.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    wait_for(lambda: all(r.get_attribute("data-state") == "complete" for r in rows(chrome)) and len(rows(chrome)) == 2,
             what="both files complete")
    etags = {r.find_element("css selector", ".name").text: r.get_attribute("data-etag") for r in rows(chrome)}
    s3 = gateway["s3"]
    for path, key in ((big, f"{prefix}/big.bin"), (small, f"{prefix}/small.txt")):
        body = s3.get_object(Bucket="drop", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    head = s3.head_object(Bucket="drop", Key=f"{prefix}/big.bin")
    assert head["ETag"] == multipart_etag_of_file(big, 8 * MiB) and head["ETag"].endswith('-5"')
    assert etags[f"{prefix}/big.bin"] == head["ETag"].strip('"')
    assert etags[f"{prefix}/small.txt"] == hashlib.md5(small.read_bytes()).hexdigest()
    if mode == "ticket":
        # The page shows what is left of the ticket, as the server counts it.
        section = chrome.find_element(By.ID, "ticket")
        wait_for(lambda: section.get_attribute("data-files-used") == "2", timeout=20, what="the ticket's use shown")
        assert int(section.get_attribute("data-bytes-used")) >= big.stat().st_size + small.stat().st_size
        assert int(section.get_attribute("data-bytes-left")) == (1 << 30) - int(section.get_attribute("data-bytes-used"))
        assert "8 of 10 files left" in section.text


def test_reload_and_resume_sends_only_missing_parts(gateway, chrome, tmp_path, mode):
    src = tmp_path / "resume.bin"
    src.write_bytes(os.urandom(60 * MiB))
    link = open_page(chrome, gateway, mode=mode)
    slow_network(chrome, 20 * MiB)
    choose(chrome, src)
    wait_for(lambda: int(rows(chrome)[0].get_attribute("data-progress")) > 30, what="progress past 30")
    # Four parts go at once, so 30 % may all be in flight: reload once the gateway holds a part too.
    s3 = gateway["s3"]
    upload = wait_for(lambda: s3.list_multipart_uploads(Bucket="drop", Prefix="resume.bin").get("Uploads"), what="the upload")[0]
    parts = wait_for(lambda: s3.list_parts(Bucket="drop", Key="resume.bin", UploadId=upload["UploadId"]).get("Parts"),
                     what="a stored part")
    chrome.refresh()
    time.sleep(1.0)   # the parts the reload cut off are counted when their requests end
    # A kept part whose bytes are not the file's (same size, other content) must be sent again: the page
    # checks each part's MD5 before it skips it, and the object must come out byte-exact.
    s3.upload_part(Bucket="drop", Key="resume.bin", UploadId=upload["UploadId"], PartNumber=parts[0]["PartNumber"],
                   Body=os.urandom(parts[0]["Size"]))
    before = received_bytes(gateway, "UploadPart")
    open_page(chrome, gateway, mode=mode, link=link)
    choose(chrome, src)
    wait_for(lambda: rows(chrome) and rows(chrome)[0].get_attribute("data-state") == "complete", what="the resumed upload")
    sent_again = received_bytes(gateway, "UploadPart") - before
    assert 0 < sent_again < src.stat().st_size, f"sent {sent_again} bytes of parts after the reload"
    body = gateway["s3"].get_object(Bucket="drop", Key="resume.bin")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(src.read_bytes()).hexdigest()
    assert not gateway["s3"].list_multipart_uploads(Bucket="drop").get("Uploads")


def test_cancel_aborts_the_upload(gateway, chrome, tmp_path, mode):
    from selenium.webdriver.common.by import By
    src = tmp_path / "cancel.bin"
    src.write_bytes(os.urandom(30 * MiB))
    open_page(chrome, gateway, prefix="cancelled", mode=mode)
    slow_network(chrome, 4 * MiB)
    choose(chrome, src)
    s3 = gateway["s3"]
    wait_for(lambda: s3.list_multipart_uploads(Bucket="drop", Prefix="cancelled/").get("Uploads"), what="the upload to start")
    rows(chrome)[0].find_element(By.CSS_SELECTOR, '[data-action="cancel"]').click()
    wait_for(lambda: not s3.list_multipart_uploads(Bucket="drop", Prefix="cancelled/").get("Uploads"), timeout=30,
             what="the upload to be aborted")
    assert rows(chrome)[0].get_attribute("data-state") == "error"
    assert "Contents" not in s3.list_objects_v2(Bucket="drop", Prefix="cancelled/")


def test_pause_and_resume(gateway, chrome, tmp_path):
    from selenium.webdriver.common.by import By
    src = tmp_path / "pause.bin"
    src.write_bytes(os.urandom(24 * MiB))
    open_page(chrome, gateway, prefix="paused")
    slow_network(chrome, 8 * MiB)
    choose(chrome, src)
    wait_for(lambda: int(rows(chrome)[0].get_attribute("data-progress")) > 10, what="progress")
    rows(chrome)[0].find_element(By.CSS_SELECTOR, '[data-action="pause"]').click()
    assert rows(chrome)[0].get_attribute("data-state") == "paused"
    rows(chrome)[0].find_element(By.CSS_SELECTOR, '[data-action="resume"]').click()
    wait_for(lambda: rows(chrome)[0].get_attribute("data-state") == "complete", what="completion after resume")
    body = gateway["s3"].get_object(Bucket="drop", Key="paused/pause.bin")["Body"].read()
    assert body == src.read_bytes()


class _Static(http.server.SimpleHTTPRequestHandler):
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


OTHER_ORIGIN_PAGE = b"""<!doctype html><title>other origin</title><p id="result">running</p>
<script>
const params = new URLSearchParams(location.search);
fetch(params.get("url"), {method: "PUT", body: new Blob(["x".repeat(5000)]), headers: {"Content-Type": "text/plain"}})
  .then((r) => { document.getElementById("result").textContent = "status " + r.status + " etag " + r.headers.get("ETag"); })
  .catch((e) => { document.getElementById("result").textContent = "blocked " + e.name; });
</script>"""


def test_page_on_another_origin_uploads_only_where_cors_allows(gateway, chrome):
    from selenium.webdriver.common.by import By
    _Static.page = OTHER_ORIGIN_PAGE
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    s3 = gateway["s3"]
    try:
        s3.create_bucket(Bucket="webapp")
        s3.put_bucket_cors(Bucket="webapp", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": [origin], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}]})
        s3.create_bucket(Bucket="closed")
        s3.put_bucket_cors(Bucket="closed", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["https://somewhere.else"], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"]}]})
        results = {}
        for bucket in ("webapp", "closed"):
            url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "from-page.txt", "ContentType": "text/plain"})
            chrome.get(origin + "/?" + urllib.parse.urlencode({"url": url}))
            results[bucket] = wait_for(lambda: (t := chrome.find_element(By.ID, "result").text) != "running" and t, timeout=30,
                                       what="the page's fetch")
        want = '"' + hashlib.md5(b"x" * 5000).hexdigest() + '"'
        assert results["webapp"] == f"status 200 etag {want}"
        assert s3.head_object(Bucket="webapp", Key="from-page.txt")["ContentLength"] == 5000
        assert results["closed"].startswith("blocked")
        with pytest.raises(Exception):
            s3.head_object(Bucket="closed", Key="from-page.txt")
    finally:
        server.shutdown()
