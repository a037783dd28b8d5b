/// The upload page's three files, written for this project and served from the binary (no third-party
/// code, no CDN). The page asks for an access key and its secret and signs each S3 request in the
/// browser (SigV4 over WebCrypto's HMAC-SHA-256); the secret lives in the page's memory only, is never
/// stored (localStorage keeps only unfinished uploads: bucket, key, upload ID, part size) and never
/// sent. WebCrypto exists only in secure contexts: HTTPS, or http://localhost / 127.0.0.1.
///
/// Hooks the browser tests use (keep them stable): each file row carries `data-state` (queued,
/// uploading, paused, complete, error), `data-progress` (0-100) and, once complete, `data-etag`; its
/// buttons `data-action="pause"`, `"resume"`, `"cancel"`; files are chosen with `input[type=file]`.
enum UploadPageAssets {
    /// No inline script or style, nothing from elsewhere: the page talks only to this origin.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// Content type and text of /_tessera/<name>.
    static func asset(named name: String) -> (contentType: String, text: String)? {
        switch name {
        case "upload": return ("text/html; charset=utf-8", html)
        case "upload.js": return ("text/javascript; charset=utf-8", script)
        case "upload.css": return ("text/css; charset=utf-8", style)
        default: return nil
        }
    }

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Upload · Tessera</title>
<link rel="stylesheet" href="/_tessera/upload.css">
<script src="/_tessera/upload.js" defer></script>
</head>
<body>
<main>
<h1>Upload to Tessera</h1>
<form id="settings" autocomplete="off">
  <label>Bucket <input name="bucket" required></label>
  <label>Folder (prefix) <input name="prefix" placeholder="optional, e.g. videos/"></label>
  <div id="key-fields">
  <label>Access key <input name="access-key"></label>
  <label>Secret key <input name="secret-key" type="password"></label>
  <label>Region <input name="region" value="us-east-1"></label>
  <p class="hint">The secret key stays in this page: requests are signed here, and the key is neither stored nor sent.</p>
  </div>
</form>
<section id="ticket" hidden>
  <p>Uploading with a ticket into <code class="where"></code>. <span class="limits"></span></p>
</section>
<div id="drop">
  <p>Drop files or folders here, or</p>
  <label class="button">Choose files <input id="picker" type="file" multiple></label>
</div>
<p id="message" role="status"></p>
<section id="overall" data-progress="0">
  <div class="bar"><span></span></div>
  <p class="status">Nothing to send yet.</p>
</section>
<ul id="files"></ul>
<h2>Uploaded</h2>
<ul id="done"></ul>
</main>
<template id="file-row">
  <li class="file" data-state="queued" data-progress="0">
    <span class="name"></span>
    <div class="bar"><span></span></div>
    <span class="status"></span>
    <span class="controls">
      <button type="button" data-action="pause">Pause</button>
      <button type="button" data-action="resume">Resume</button>
      <button type="button" data-action="cancel">Cancel</button>
    </span>
  </li>
</template>
</body>
</html>
"""#

    static let style = #"""
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
main { max-width: 56rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
#settings { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0.5rem 1rem; }
#settings label { display: flex; flex-direction: column; font-size: 0.85rem; gap: 0.2rem; }
#settings input { padding: 0.4rem; border: 1px solid #b8bfcc; border-radius: 4px; font: inherit; }
.hint { grid-column: 1 / -1; font-size: 0.8rem; color: #586174; margin: 0; }
#drop { margin: 1rem 0; padding: 1.5rem; border: 2px dashed #9aa3b5; border-radius: 8px; text-align: center; background: #fff; }
#drop.over { border-color: #2f6fde; background: #eef3fd; }
#drop p { margin: 0 0 0.5rem; }
.button { display: inline-block; padding: 0.45rem 1rem; border-radius: 4px; background: #2f6fde; color: #fff; cursor: pointer; }
.button input { display: block; margin-top: 0.3rem; font-size: 0.8rem; }
#message { color: #b3261e; min-height: 1.2em; }
.bar { height: 0.5rem; background: #dde1e8; border-radius: 4px; overflow: hidden; }
.bar > span { display: block; height: 100%; width: 0; background: #2f6fde; transition: width 0.2s; }
#overall .status, .file .status { font-size: 0.85rem; color: #3b4356; }
#files { list-style: none; padding: 0; }
.file { display: grid; grid-template-columns: 1fr auto; gap: 0.3rem 1rem; padding: 0.7rem; margin-bottom: 0.5rem; background: #fff; border-radius: 6px; border-left: 4px solid #9aa3b5; }
.file .name { font-weight: 600; word-break: break-all; }
.file .bar { grid-column: 1 / -1; }
.file[data-state="uploading"] { border-left-color: #2f6fde; }
.file[data-state="paused"] { border-left-color: #c98a00; }
.file[data-state="complete"] { border-left-color: #1e8a4c; }
.file[data-state="complete"] .bar > span { background: #1e8a4c; }
.file[data-state="error"] { border-left-color: #b3261e; }
.controls button { margin-left: 0.3rem; }
#done code { font-size: 0.8rem; color: #586174; }
"""#

    static let script = #"""
// Tessera's upload page (/_tessera/upload): sends files to a bucket of this gateway from the browser,
// as S3 requests signed here with SigV4 (WebCrypto). The secret key stays in this page's memory: it is
// never stored, and never sent anywhere (only signatures made with it are).
"use strict";

const MiB = 1024 * 1024;
const PART_SIZE = 8 * MiB;          // and larger when a file would need more than MAX_PARTS
const MAX_PARTS = 10000;
const PARALLEL_PARTS = 4;
const RETRIES = 3;
const RESUME_PREFIX = "tessera-upload:";

// ---------------------------------------------------------------- hashing

const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

async function hmac(key, text) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? encoder.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, encoder.encode(text));
}

// MD5 (RFC 1321), for checking a kept part against its ETag before it is skipped: WebCrypto has none.
const MD5_S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  6, 10, 15, 21];
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

function md5Hex(buffer) {
  const bytes = new Uint8Array(buffer);
  const n = bytes.length;
  const padded = new Uint8Array((((n + 8) >>> 6) + 1) * 64);
  padded.set(bytes);
  padded[n] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (n * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(n / 2 ** 29), true);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  const m = new Uint32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(off + i * 4, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (b | ~d); g = (7 * i) & 15; }
      const t = d;
      d = c;
      c = b;
      const x = (a + f + MD5_K[i] + m[g]) | 0;
      b = (b + ((x << MD5_S[i]) | (x >>> (32 - MD5_S[i])))) | 0;
      a = t;
    }
    a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  [a0, b0, c0, d0].forEach((w, i) => out.setUint32(i * 4, w >>> 0, true));
  return hex(out.buffer);
}

// ---------------------------------------------------------------- SigV4

// RFC 3986 encoding as S3 signs it; "/" kept in paths.
function uriEncode(text, keepSlash) {
  const e = encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? e.replace(/%2F/g, "/") : e;
}

function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

class Signer {
  constructor(accessKey, secretKey, region) {
    this.accessKey = accessKey;
    this.secretKey = secretKey;   // in memory only
    this.region = region;
  }

  async key(day) {
    let k = await hmac("AWS4" + this.secretKey, day);
    k = await hmac(k, this.region);
    k = await hmac(k, "s3");
    return hmac(k, "aws4_request");
  }

  static canonicalQuery(query) {
    return Object.keys(query).sort().map((k) => uriEncode(k) + "=" + uriEncode(String(query[k]))).join("&");
  }

  // Headers for a request: Authorization, x-amz-date, x-amz-content-sha256 (the payload unsigned).
  async headers(method, path, query) {
    const date = amzDate(new Date());
    const day = date.slice(0, 8);
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const payload = "UNSIGNED-PAYLOAD";
    const canonical = [method, path, Signer.canonicalQuery(query),
      `host:${location.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${date}\n`,
      "host;x-amz-content-sha256;x-amz-date", payload].join("\n");
    const toSign = ["AWS4-HMAC-SHA256", date, scope, await sha256Hex(canonical)].join("\n");
    const signature = hex(await hmac(await this.key(day), toSign));
    return {
      "Authorization": `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, ` +
        `SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
      "x-amz-date": date,
      "x-amz-content-sha256": payload,
    };
  }

  // A presigned GET (the download link).
  async presign(path, expires) {
    const date = amzDate(new Date());
    const day = date.slice(0, 8);
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const query = {
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": `${this.accessKey}/${scope}`, "X-Amz-Date": date,
      "X-Amz-Expires": String(expires), "X-Amz-SignedHeaders": "host",
    };
    const canonical = ["GET", path, Signer.canonicalQuery(query), `host:${location.host}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
    const toSign = ["AWS4-HMAC-SHA256", date, scope, await sha256Hex(canonical)].join("\n");
    query["X-Amz-Signature"] = hex(await hmac(await this.key(day), toSign));
    return path + "?" + Signer.canonicalQuery(query);
  }
}

// An upload ticket (the link's #ticket=…): sent as a bearer token; the server enforces its limits.
// It allows uploads only, so there is no download link to make.
class TicketSigner {
  constructor(token) { this.token = token; }
  async headers() { return { "Authorization": "Bearer " + this.token }; }
  async presign() { return null; }
}

// ---------------------------------------------------------------- S3 requests

class S3Error extends Error {
  constructor(status, code, message) {
    super(`${code || "HTTP " + status}: ${message || ""}`);
    this.status = status;
    this.code = code;
  }
}

function objectPath(bucket, key) {
  return "/" + uriEncode(bucket) + "/" + uriEncode(key, true);
}

function queryString(query) {
  const q = Signer.canonicalQuery(query);
  return q ? "?" + q : "";
}

function errorOf(xhr) {
  let code = "", message = xhr.statusText;
  try {
    const doc = new DOMParser().parseFromString(xhr.responseText || "", "application/xml");
    code = doc.querySelector("Error > Code")?.textContent || "";
    message = doc.querySelector("Error > Message")?.textContent || message;
  } catch (_) { /* not XML */ }
  return new S3Error(xhr.status, code, message);
}

// One signed request through XMLHttpRequest (fetch has no upload progress). Resolves with the XHR.
async function s3Request(signer, method, path, query, body, { onProgress, track } = {}) {
  const headers = await signer.headers(method, path, query);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path + queryString(query));
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve(xhr) : reject(errorOf(xhr)));
    xhr.onerror = () => reject(new S3Error(0, "NetworkError", "the connection failed"));
    xhr.onabort = () => reject(new S3Error(0, "Aborted", "stopped"));
    if (track) track(xhr);
    xhr.send(body ?? null);
  });
}

function xmlText(xhr, selector) {
  const doc = new DOMParser().parseFromString(xhr.responseText, "application/xml");
  if (doc.querySelector("Error")) {
    throw new S3Error(xhr.status, doc.querySelector("Error > Code")?.textContent, doc.querySelector("Error > Message")?.textContent);
  }
  return doc;
}

async function listParts(signer, bucket, key, uploadId) {
  const parts = new Map();
  let marker = 0;
  for (;;) {
    const query = { uploadId, "max-parts": 1000 };
    if (marker) query["part-number-marker"] = marker;
    const doc = xmlText(await s3Request(signer, "GET", objectPath(bucket, key), query), "ListPartsResult");
    for (const p of doc.querySelectorAll("Part")) {
      parts.set(Number(p.querySelector("PartNumber").textContent),
        { etag: p.querySelector("ETag").textContent.replace(/"/g, ""), size: Number(p.querySelector("Size").textContent) });
    }
    if (doc.querySelector("IsTruncated")?.textContent !== "true") return parts;
    marker = Number(doc.querySelector("NextPartNumberMarker").textContent);
  }
}

// ---------------------------------------------------------------- one file

function partSizeFor(size) {
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function formatSeconds(s) {
  if (!isFinite(s)) return "—";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

class FileUpload {
  constructor(file, relativePath, page) {
    this.file = file;
    this.page = page;
    this.key = page.prefix + relativePath;
    this.bucket = page.bucket;
    this.signer = page.signer;
    this.size = file.size;
    this.partSize = partSizeFor(this.size);
    this.parts = new Map();      // part number → ETag, for parts the server holds
    this.inflight = new Map();   // part number → bytes of it sent so far
    this.requests = new Set();   // XHRs in flight
    this.doneBytes = 0;
    this.sentBytes = 0;          // what this page sent for this file (progress speed)
    this.state = "queued";
    this.row = page.addRow(this);
    this.render();
  }

  get resumeID() {
    return RESUME_PREFIX + JSON.stringify([this.file.name, this.size, this.file.lastModified]);
  }

  get bytes() {
    let n = this.doneBytes;
    for (const v of this.inflight.values()) n += v;
    return Math.min(n, this.size);
  }

  setState(state, note) {
    this.state = state;
    this.note = note || "";
    this.render();
    this.page.changed();
  }

  render() {
    const r = this.row;
    const pct = this.state === "complete" ? 100 : this.size ? Math.floor((100 * this.bytes) / this.size) : 0;
    r.dataset.state = this.state;
    r.dataset.progress = String(pct);
    if (this.etag) r.dataset.etag = this.etag;
    r.querySelector(".bar > span").style.width = pct + "%";
    const elapsed = this.started ? (performance.now() - this.started) / 1000 : 0;
    const speed = elapsed > 0.5 ? this.sentBytes / elapsed : 0;
    const left = speed ? (this.size - this.bytes) / speed : Infinity;
    let status = `${formatBytes(this.bytes)} of ${formatBytes(this.size)} · ${pct}%`;
    if (this.state === "uploading") status += ` · ${formatBytes(speed)}/s · ${formatSeconds(left)} left`;
    if (this.state !== "uploading") status += ` · ${this.state}`;
    if (this.note) status += ` · ${this.note}`;
    r.querySelector(".status").textContent = status;
    r.querySelector('[data-action="pause"]').disabled = this.state !== "uploading";
    r.querySelector('[data-action="resume"]').disabled = this.state !== "paused";
    r.querySelector('[data-action="cancel"]').disabled = !["queued", "uploading", "paused"].includes(this.state);
  }

  async start() {
    if (this.state !== "queued") return;
    this.setState("uploading");
    this.started = performance.now();
    try {
      if (this.size <= PART_SIZE) await this.putWhole();
      else await this.multipart();
    } catch (e) {
      if (this.state === "paused" || this.state === "error") return;   // stopped by the user
      this.setState("error", e.message);
    }
  }

  track(xhr) {
    this.requests.add(xhr);
    xhr.addEventListener("loadend", () => this.requests.delete(xhr));
  }

  async putWhole() {
    const xhr = await s3Request(this.signer, "PUT", objectPath(this.bucket, this.key), {}, this.file, {
      onProgress: (loaded) => { this.inflight.set(1, loaded); this.sentBytesNow(); this.render(); },
      track: (x) => this.track(x),
    });
    this.inflight.clear();
    this.doneBytes = this.size;
    await this.finish(xhr.getResponseHeader("ETag"));
  }

  sentBytesNow() {
    let n = this.sessionDone || 0;
    for (const v of this.inflight.values()) n += v;
    this.sentBytes = n;
  }

  partRange(n) {
    const start = (n - 1) * this.partSize;
    return [start, Math.min(start + this.partSize, this.size)];
  }

  async multipart() {
    const count = Math.ceil(this.size / this.partSize);
    if (!this.uploadId) {
      const kept = JSON.parse(localStorage.getItem(this.resumeID) || "null");
      if (kept && kept.bucket === this.bucket && kept.key === this.key && kept.partSize === this.partSize) {
        await this.adopt(kept.uploadId);
      }
    }
    if (!this.uploadId) {
      const xhr = await s3Request(this.signer, "POST", objectPath(this.bucket, this.key), { uploads: "" });
      this.uploadId = xmlText(xhr).querySelector("UploadId").textContent;
      localStorage.setItem(this.resumeID, JSON.stringify({ bucket: this.bucket, key: this.key, uploadId: this.uploadId, partSize: this.partSize }));
    }
    this.render();
    await this.sendParts(count);
    if (this.state !== "uploading") return;
    let body = "<CompleteMultipartUpload>";
    for (let n = 1; n <= count; n++) body += `<Part><PartNumber>${n}</PartNumber><ETag>"${this.parts.get(n)}"</ETag></Part>`;
    body += "</CompleteMultipartUpload>";
    const xhr = await s3Request(this.signer, "POST", objectPath(this.bucket, this.key), { uploadId: this.uploadId }, body,
      { track: (x) => this.track(x) });
    const etag = xmlText(xhr).querySelector("ETag").textContent;
    localStorage.removeItem(this.resumeID);
    await this.finish(etag);
  }

  // An upload this browser started before (a reload, a lost connection): keep each part the server
  // holds whose MD5 matches the file's bytes; the others are sent again.
  async adopt(uploadId) {
    let listed;
    try {
      listed = await listParts(this.signer, this.bucket, this.key, uploadId);
    } catch (e) {
      if (e.code === "NoSuchUpload") { localStorage.removeItem(this.resumeID); return; }
      throw e;
    }
    this.uploadId = uploadId;
    this.setState("uploading", "checking the parts already sent");
    for (const [n, part] of listed) {
      const [start, end] = this.partRange(n);
      if (part.size !== end - start) continue;
      const md5 = md5Hex(await this.file.slice(start, end).arrayBuffer());
      if (md5 === part.etag) {
        this.parts.set(n, part.etag);
        this.doneBytes += part.size;
      }
    }
    this.kept = this.parts.size;
    this.setState("uploading", this.kept ? `${this.kept} parts kept from before` : "");
  }

  async sendParts(count) {
    const missing = [];
    for (let n = 1; n <= count; n++) if (!this.parts.has(n)) missing.push(n);
    const worker = async () => {
      while (missing.length && this.state === "uploading") {
        const n = missing.shift();
        try {
          await this.sendPart(n);
        } catch (e) {
          missing.unshift(n);
          throw e;
        }
      }
    };
    this.sessionDone = this.sessionDone || 0;
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
  }

  async sendPart(n) {
    const [start, end] = this.partRange(n);
    for (let attempt = 1; ; attempt++) {
      try {
        const xhr = await s3Request(this.signer, "PUT", objectPath(this.bucket, this.key), { partNumber: n, uploadId: this.uploadId },
          this.file.slice(start, end), {
            onProgress: (loaded) => { this.inflight.set(n, loaded); this.sentBytesNow(); this.render(); this.page.changed(); },
            track: (x) => this.track(x),
          });
        this.inflight.delete(n);
        this.parts.set(n, (xhr.getResponseHeader("ETag") || "").replace(/"/g, ""));
        this.doneBytes += end - start;
        this.sessionDone += end - start;
        this.sentBytesNow();
        this.render();
        return;
      } catch (e) {
        this.inflight.delete(n);
        if (this.state !== "uploading" || attempt >= RETRIES || (e.status >= 400 && e.status < 500)) throw e;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  async finish(etag) {
    this.etag = (etag || "").replace(/"/g, "");
    this.doneBytes = this.size;
    this.link = await this.signer.presign(objectPath(this.bucket, this.key), 3600);
    this.setState("complete");
    this.page.listDone(this);
    if (this.page.ticketSigner) this.page.showTicket();   // what is left of the ticket now
  }

  stopRequests() {
    for (const xhr of [...this.requests]) xhr.abort();
    this.inflight.clear();
  }

  pause() {
    if (this.state !== "uploading") return;
    this.setState("paused");
    this.stopRequests();
  }

  resume() {
    if (this.state !== "paused") return;
    this.state = "queued";
    this.start();
  }

  async cancel() {
    if (!["queued", "uploading", "paused"].includes(this.state)) return;
    this.setState("error", "cancelled");
    this.stopRequests();
    localStorage.removeItem(this.resumeID);
    if (this.uploadId) {
      try {
        await s3Request(this.signer, "DELETE", objectPath(this.bucket, this.key), { uploadId: this.uploadId });
        this.setState("error", "cancelled; the upload was aborted");
      } catch (e) {
        this.setState("error", "cancelled; aborting the upload failed: " + e.message);
      }
    }
  }
}

// ---------------------------------------------------------------- the page

class Page {
  constructor() {
    this.uploads = [];
    this.form = document.getElementById("settings");
    this.list = document.getElementById("files");
    this.template = document.getElementById("file-row");
    this.doneList = document.getElementById("done");
    this.overall = document.getElementById("overall");
    this.picker = document.getElementById("picker");
    this.drop = document.getElementById("drop");
    this.message = document.getElementById("message");
    if (!window.crypto || !crypto.subtle) {
      this.say("This page signs requests with WebCrypto, which browsers offer only over HTTPS or on localhost.");
    }
    this.form.addEventListener("submit", (e) => e.preventDefault());
    const ticket = new URLSearchParams(location.hash.slice(1)).get("ticket");
    if (ticket) this.useTicket(ticket);
    // A ticket link followed from the page itself changes only the fragment: no new page load.
    window.addEventListener("hashchange", () => {
      const next = new URLSearchParams(location.hash.slice(1)).get("ticket");
      if (next && next !== this.ticketSigner?.token) this.useTicket(next);
    });
    this.picker.addEventListener("change", () => { this.addFiles([...this.picker.files].map((f) => [f, f.webkitRelativePath || f.name])); this.picker.value = ""; });
    this.drop.addEventListener("dragover", (e) => { e.preventDefault(); this.drop.classList.add("over"); });
    this.drop.addEventListener("dragleave", () => this.drop.classList.remove("over"));
    this.drop.addEventListener("drop", (e) => { e.preventDefault(); this.drop.classList.remove("over"); this.dropped(e.dataTransfer); });
    this.list.addEventListener("click", (e) => {
      const button = e.target.closest("[data-action]");
      if (!button) return;
      const upload = this.uploads[Number(button.closest("[data-index]").dataset.index)];
      upload[button.dataset.action]();
    });
    setInterval(() => this.changed(), 1000);
  }

  say(text) {
    this.message.textContent = text;
  }

  // A ticket link: its bucket and prefix replace the form, and what is left of it is shown.
  async useTicket(token) {
    this.ticketSigner = new TicketSigner(token);
    document.getElementById("key-fields").hidden = true;
    const section = document.getElementById("ticket");
    section.hidden = false;
    await this.showTicket();
  }

  async showTicket() {
    const section = document.getElementById("ticket");
    const response = await fetch("/_tessera/ticket", { headers: await this.ticketSigner.headers(), cache: "no-store" });
    if (!response.ok) {
      section.dataset.state = "refused";
      this.say("This upload link is not valid any more (revoked, expired, or mistyped).");
      return;
    }
    const t = await response.json();
    this.ticket = t;
    section.dataset.state = "active";
    for (const [k, v] of Object.entries(t)) section.dataset[k] = String(v);
    for (const name of ["bucket", "prefix"]) {
      const field = this.form.elements[name];
      field.value = t[name];
      field.readOnly = true;
    }
    section.querySelector(".where").textContent = t.bucket + "/" + t.prefix;
    const limits = [];
    if (t.maxBytes !== undefined) limits.push(`${formatBytes(t.bytesLeft)} of ${formatBytes(t.maxBytes)} left`);
    if (t.maxFiles !== undefined) limits.push(`${t.filesLeft} of ${t.maxFiles} files left`);
    if (t.contentType) limits.push(`only ${t.contentType}`);
    if (t.expires) limits.push(`until ${new Date(t.expires).toLocaleString()}`);
    section.querySelector(".limits").textContent = limits.join(" · ");
  }

  settings() {
    if (this.ticketSigner) {
      if (!this.ticket) { this.say("The upload ticket is not valid."); return false; }
      this.bucket = this.ticket.bucket;
      this.prefix = this.ticket.prefix;
      this.signer = this.ticketSigner;
      this.say("");
      return true;
    }
    const f = new FormData(this.form);
    const bucket = String(f.get("bucket") || "").trim();
    const accessKey = String(f.get("access-key") || "").trim();
    const secretKey = String(f.get("secret-key") || "");
    if (!bucket || !accessKey || !secretKey) {
      this.say("Enter the bucket, the access key and the secret key first.");
      return false;
    }
    let prefix = String(f.get("prefix") || "");
    if (prefix && !prefix.endsWith("/")) prefix += "/";
    this.bucket = bucket;
    this.prefix = prefix;
    this.signer = new Signer(accessKey, secretKey, String(f.get("region") || "us-east-1").trim());
    this.say("");
    return true;
  }

  async dropped(transfer) {
    const entries = [...transfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    if (!entries.length) return this.addFiles([...transfer.files].map((f) => [f, f.name]));
    const files = [];
    const walk = async (entry, path) => {
      if (entry.isFile) {
        files.push([await new Promise((res, rej) => entry.file(res, rej)), path + entry.name]);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const child of batch) await walk(child, path + entry.name + "/");
        }
      }
    };
    for (const entry of entries) await walk(entry, "");
    this.addFiles(files);
  }

  addFiles(files) {
    if (!files.length || !this.settings()) return;
    for (const [file, path] of files) this.uploads.push(new FileUpload(file, path, this));
    this.pump();
  }

  // Two files at a time; each sends its parts in parallel.
  pump() {
    const active = this.uploads.filter((u) => u.state === "uploading").length;
    for (const u of this.uploads.filter((u) => u.state === "queued").slice(0, Math.max(0, 2 - active))) {
      u.start().finally(() => this.pump());
    }
  }

  addRow(upload) {
    const row = this.template.content.firstElementChild.cloneNode(true);
    row.dataset.index = String(this.uploads.length);
    row.querySelector(".name").textContent = upload.key;
    this.list.append(row);
    return row;
  }

  changed() {
    let total = 0, done = 0, sent = 0, elapsed = 0;
    for (const u of this.uploads) {
      if (u.state === "error") continue;
      total += u.size;
      done += u.state === "complete" ? u.size : u.bytes;
      sent += u.sentBytes;
      if (u.started) elapsed = Math.max(elapsed, (performance.now() - u.started) / 1000);
      if (u.state === "uploading") u.render();
    }
    const pct = total ? Math.floor((100 * done) / total) : 0;
    const speed = elapsed > 0.5 ? sent / elapsed : 0;
    this.overall.dataset.progress = String(pct);
    this.overall.querySelector(".bar > span").style.width = pct + "%";
    this.overall.querySelector(".status").textContent = total
      ? `${formatBytes(done)} of ${formatBytes(total)} · ${pct}% · ${formatBytes(speed)}/s · ${formatSeconds(speed ? (total - done) / speed : Infinity)} left`
      : "Nothing to send yet.";
  }

  listDone(upload) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    if (upload.link) link.href = upload.link;
    link.textContent = upload.key;
    link.setAttribute("download", "");
    const etag = document.createElement("code");
    etag.textContent = upload.etag;
    item.append(link, " ", etag, " ", formatBytes(upload.size));
    this.doneList.append(item);
  }
}

document.addEventListener("DOMContentLoaded", () => { window.tesseraUpload = new Page(); });
"""#
}
