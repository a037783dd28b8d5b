// The frontend target's request-head parsers (Fuzz/FrontEndFuzz.swift picks one): what an S3 request's head
// carries before any handler runs. Compiled with (see Fuzz/fuzz.sh) Sources/S3API's S3Request, S3Endpoint, CopySource, CopySourceRange,
// Conditionals, WriteConditionHeaders, ListingQuery, ContinuationToken, VersionID, ContentMD5; GatewayHTTP's
// RequestTarget, PercentDecoding, QueryParameters, S3Time; WireFormats' PercentEncoding and HTTPDate;
// Checksums' Base64), with swift-http-types for the header fields.
//
// Input, after FrontEndFuzz's selector byte (0...5 here):
//   0 path and query decoding    the rest is a request target ("/path?query")
//   1 endpoint resolution        lines: method, target, Host, then "name: value" header lines; byte 1 odd
//                                resolves with the virtual-host domain "localhost"
//   2 x-amz-copy-source (+range) byte 1: source size; lines: the copy source, the copy-source range
//   3 conditional headers, dates 8 bytes: a time (seconds, little endian); lines: If-Match, If-None-Match,
//                                If-Modified-Since, If-Unmodified-Since (an empty line: header absent)
//   4 checksums, Content-MD5     the rest is a header value
//   5 list markers               the rest is a continuation token / version-id-marker / key
import Foundation
import HTTPTypes
import WireFormats

func request(method: String, target: String, host: String, headers: [(String, String)]) -> HTTPRequest? {
    guard let m = HTTPRequest.Method(method) else { return nil }
    var fields = HTTPFields()
    for (name, value) in headers {
        guard let n = HTTPField.Name(name) else { continue }
        fields.append(HTTPField(name: n, value: value))
    }
    return HTTPRequest(method: m, scheme: "http", authority: host, path: target, headerFields: fields)
}

// MARK: 0: path and query decoding

/// The query as a reader of RFC 3986 would split it, decoding with the plain (slow) decoder only.
func referenceQuery(_ raw: [UInt8]) -> [(String, String)]? {
    var pairs: [(String, String)] = []
    for piece in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        let eq = piece.firstIndex(of: UInt8(ascii: "="))
        let nameBytes = piece[..<(eq ?? piece.endIndex)]
        let valueBytes = eq.map { piece[($0 + 1)...] } ?? []
        guard let n = PercentEncoding.decode(nameBytes, plusIsSpace: true).flatMap({ String(validating: $0, as: UTF8.self) }),
              let v = PercentEncoding.decode(valueBytes, plusIsSpace: true).flatMap({ String(validating: $0, as: UTF8.self) })
        else { return nil }
        if !pairs.contains(where: { $0.0.utf8.elementsEqual(n.utf8) }) { pairs.append((n, v)) }
    }
    return pairs
}

func fuzzDecoding(_ bytes: ArraySlice<UInt8>) {
    for plus in [false, true] {
        // The fast path (no escape: validate only) and the full decoder must agree, byte for byte.
        let full = PercentEncoding.decode(bytes, plusIsSpace: plus)
        let text = PercentEncoding.decodeUTF8(bytes, plusIsSpace: plus)
        invariant(sameBytes(text, full.flatMap { String(validating: $0, as: UTF8.self) }), "decodeUTF8 and decode disagree")
        // SigV4's lenient decoder keeps malformed escapes; where the strict one succeeds they are the same.
        let lenient = PercentEncoding.decodeLeniently(bytes, plusIsSpace: plus)
        if let full { invariant(lenient == full, "decodeLeniently differs from decode on a well-formed input") }
        // Encoding then decoding gives back the bytes, and the encoding holds only unreserved bytes and escapes.
        for slash in [false, true] {
            let encoded = PercentEncoding.encode(bytes, keepingSlash: slash)
            invariant(encoded.allSatisfy { PercentEncoding.isUnreserved($0) || $0 == UInt8(ascii: "%") || Hex.value($0) != nil
                || (slash && $0 == UInt8(ascii: "/")) }, "encode left a reserved byte")
            invariant(PercentEncoding.decode(encoded, plusIsSpace: plus).map { $0[...] == bytes } == true, "encode/decode round trip")
        }
    }
    // The request target: split at the first "?", decoded as every front end decodes it.
    let raw = String(decoding: bytes, as: UTF8.self)
    let target = RequestTarget(raw)
    invariant((target.rawPath + (raw.utf8.contains(UInt8(ascii: "?")) ? "?" + target.rawQuery : "")).utf8.elementsEqual(raw.utf8),
              "RequestTarget does not put back together")
    do {
        let path = try target.decodedPath()
        invariant(sameBytes(path, PercentEncoding.decodeUTF8(Array(target.rawPath.utf8), plusIsSpace: false)), "decodedPath")
    } catch {
        expectError(error, ["InvalidURI"], "decodedPath")
        invariant(PercentEncoding.decodeUTF8(Array(target.rawPath.utf8), plusIsSpace: false) == nil, "decodedPath refused a decodable path")
    }
    let reference = referenceQuery(Array(target.rawQuery.utf8))
    do {
        let query = try target.decodedQuery()
        guard let reference else { invariant(false, "the query decoded where the reference decoder refused it"); return }
        invariant(query.pairs.count == reference.count, "query: \(query.pairs.count) pairs, reference \(reference.count)")
        for (a, b) in zip(query.pairs, reference) {
            invariant(sameBytes(a.name, b.0) && sameBytes(a.value, b.1), "query pair differs from the reference")
            invariant(sameBytes(query[a.name], a.value), "query lookup does not find the first value")
        }
    } catch {
        expectError(error, ["InvalidURI"], "decodedQuery")
        invariant(reference == nil, "the query was refused where the reference decoder read it")
    }
}

// MARK: 1: endpoint resolution

let bucketlessEndpoints: Set<String> = ["ListBuckets", "UploadPage", "TicketStatus"]

func fuzzEndpoint(_ input: inout FuzzInput) {
    let virtualHost = input.byte() & 1 == 1
    let lines = fuzzLines(input.rest())
    guard lines.count >= 2 else { return }
    let headers = lines.dropFirst(3).compactMap { line -> (String, String)? in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }
    guard let head = request(method: lines[0], target: lines[1], host: lines.count > 2 ? lines[2] : "", headers: headers) else { return }
    let s3: S3Request
    do {
        s3 = try S3Request(head: head, domain: virtualHost ? "localhost" : nil)
    } catch {
        expectError(error, ["InvalidURI"], "S3Request")
        return
    }
    if s3.key != nil { invariant(s3.bucket != nil, "a key without a bucket") }
    let endpoint: S3Endpoint
    do {
        endpoint = try S3Endpoint.resolve(s3, maxParts: 10_000)
    } catch {
        expectError(error, ["InvalidArgument", "NoSuchUpload"], "resolve")
        return
    }
    // Resolution is a function of the request, and every endpoint has a name, an access kind and a requirement.
    invariant((try? S3Endpoint.resolve(s3, maxParts: 10_000)) == endpoint, "resolve is not deterministic")
    invariant(!endpoint.name.isEmpty, "an endpoint without a name")
    _ = (endpoint.access, endpoint.requirement)
    // The bucket acted on is the one the request addressed.
    if case .notImplemented = endpoint {
    } else if bucketlessEndpoints.contains(endpoint.name) {
        invariant(endpoint.bucket == nil, "\(endpoint.name) names a bucket")
    } else {
        invariant(sameBytes(endpoint.bucket, s3.bucket), "\(endpoint.name) acts on another bucket")
    }
    if endpoint == .listBuckets { invariant(s3.bucket == nil && s3.method == "GET", "ListBuckets of a bucket") }
    // A version named is one the gateway could have made.
    if s3.key != nil, let v = s3.query["versionId"] { invariant(VersionSelector(id: v) != nil, "an invalid versionId passed") }
    switch endpoint {
    case .uploadPart(_, let key, let n, let id), .uploadPartCopy(_, let key, let n, let id):
        invariant(sameBytes(key, s3.key), "UploadPart of another key")
        invariant(s3.query["partNumber"].flatMap { Int($0) } == n, "partNumber \(n) is not the query's")
        // The 1...10000 range is the validator's (PartValidator.checkPartNumber, InvalidArgument), not resolution's.
        invariant(!id.isEmpty && sameBytes(id, s3.query["uploadId"]), "uploadId is not the query's")
        invariant((s3.header("x-amz-copy-source") != nil) == (endpoint.name == "UploadPartCopy"), "UploadPart/UploadPartCopy mixed up")
    case .listParts(_, let key, let id), .completeMultipartUpload(_, let key, let id), .abortMultipartUpload(_, let key, let id):
        invariant(sameBytes(key, s3.key), "\(endpoint.name) of another key")
        invariant(!id.isEmpty && sameBytes(id, s3.query["uploadId"]), "uploadId is not the query's")
    case .putObject(_, let key), .copyObject(_, let key), .getObject(_, let key), .headObject(_, let key), .deleteObject(_, let key):
        invariant(sameBytes(key, s3.key), "\(endpoint.name) of another key")
        invariant((s3.header("x-amz-copy-source") != nil) == (endpoint.name == "CopyObject") || s3.method != "PUT",
                  "PutObject/CopyObject mixed up")
    default:
        break
    }
    // What the handlers read from the head next: listing parameters, write conditions, copy source.
    do { _ = try ListingQuery(s3) } catch { expectError(error, ["InvalidArgument"], "ListingQuery") }
    do { _ = try WriteConditionHeaders.parse(s3) } catch { expectError(error, ["InvalidArgument", "NotImplemented"], "WriteConditionHeaders") }
    if s3.header("x-amz-copy-source") != nil {
        do { _ = try CopySource.parse(s3) } catch { expectError(error, ["InvalidArgument", "InvalidURI"], "CopySource") }
    }
}

// MARK: 2: x-amz-copy-source and x-amz-copy-source-range

func fuzzCopySource(_ input: inout FuzzInput) {
    let size = Int64(input.byte())
    let lines = fuzzLines(input.rest())
    let source = lines.first ?? ""
    guard let head = request(method: "PUT", target: "/b/k", host: "h", headers: [("x-amz-copy-source", source)]),
          let s3 = try? S3Request(head: head, domain: nil), s3.header("x-amz-copy-source") != nil else { return }
    do {
        let (bucket, key, version) = try CopySource.parse(s3)
        invariant(!bucket.isEmpty && !key.isEmpty, "copy source with an empty bucket or key")
        invariant(!bucket.utf8.contains(UInt8(ascii: "/")), "copy source bucket holds a /")
        // Written back as a client writes it, it reads back the same.
        var again = "/" + PercentEncoding.encode(bucket) + "/" + PercentEncoding.encode(key, keepingSlash: true)
        if let version { again += "?versionId=" + version.id }
        guard let head2 = request(method: "PUT", target: "/b/k", host: "h", headers: [("x-amz-copy-source", again)]),
              let s3b = try? S3Request(head: head2, domain: nil) else { invariant(false, "re-encoded copy source refused"); return }
        let back = try? CopySource.parse(s3b)
        invariant(back.map { sameBytes($0.bucket, bucket) && sameBytes($0.key, key) && $0.version == version } == true,
                  "copy source does not read back")
        if let version { invariant(VersionSelector(id: version.id) == version, "version id round trip") }
    } catch {
        expectError(error, ["InvalidArgument", "InvalidURI"], "CopySource")
    }
    let raw = lines.count > 1 ? lines[1] : ""
    do {
        let range = try CopySourceRange.parse(raw, sourceSize: size)
        invariant(range.lowerBound >= 0 && range.upperBound < size, "copy range \(range) outside a source of \(size) bytes")
        invariant((try? CopySourceRange.parse("bytes=\(range.lowerBound)-\(range.upperBound)", sourceSize: size)) == range,
                  "copy range does not read back")
        invariant(raw.utf8.starts(with: "bytes=".utf8), "copy range without bytes=")
    } catch {
        expectError(error, ["InvalidArgument"], "CopySourceRange")
    }
}

// MARK: 3: conditional headers and HTTP dates

/// Seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years HTTPDate writes and reads.
let firstDate: Int64 = -62_167_219_200
let lastDate: Int64 = 253_402_300_799

func fuzzConditionals(_ input: inout FuzzInput) {
    var raw: UInt64 = 0
    for (i, b) in input.take(8).enumerated() { raw |= UInt64(b) << (8 * UInt64(i)) }
    let seconds = firstDate + Int64(raw % UInt64(lastDate - firstDate + 1))
    // A formatted date reads back as the same second, in every form (IMF-fixdate, RFC 850, asctime).
    let formatted = HTTPDate.format(seconds)
    invariant(HTTPDate.parse(formatted, now: seconds) == seconds, "\(formatted) does not read back as \(seconds)")
    invariant(formatted.utf8.count == 29 || seconds < 0, "IMF-fixdate of \(formatted.utf8.count) bytes")
    let lines = fuzzLines(input.rest())
    func line(_ i: Int) -> String? { i < lines.count && !lines[i].isEmpty ? lines[i] : nil }
    // Whatever a header holds: a date read is one HTTPDate can write, and writing it reads back the same.
    for text in lines {
        if let t = HTTPDate.parse(text, now: seconds) {
            invariant(t >= firstDate - 86_400 && t <= lastDate + 86_400, "date \(t) out of range")
            invariant(HTTPDate.parse(HTTPDate.format(t), now: seconds) == t, "a parsed date does not round trip")
            invariant(S3Time.parseHTTP(text, now: Date(timeIntervalSince1970: Double(seconds)))?.timeIntervalSince1970 == Double(t),
                      "S3Time.parseHTTP differs from HTTPDate.parse")
        }
    }
    var headers: [(String, String)] = []
    for (i, name) in ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"].enumerated() {
        if let v = line(i) { headers.append((name, v)) }
    }
    guard let head = request(method: "GET", target: "/b/k", host: "h", headers: headers),
          let s3 = try? S3Request(head: head, domain: nil) else { return }
    let etag = "d41d8cd98f00b204e9800998ecf8427e"
    let modified = Date(timeIntervalSince1970: Double(seconds))
    for forRead in [true, false] {
        do {
            try Conditionals.check(s3, etag: etag, lastModified: modified, forRead: forRead)
            // If-None-Match: * matches every object that exists.
            invariant(s3.header("if-none-match")?.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "*" } != true,
                      "If-None-Match: * passed")
        } catch {
            expectError(error, forRead ? ["PreconditionFailed", "NotModified"] : ["PreconditionFailed"], "Conditionals")
            // If-Match naming the object's ETag (or *) never fails the If-Match half.
        }
        // An If-Match of the object's own ETag alone always holds.
        if let h = request(method: "GET", target: "/b/k", host: "h", headers: [("if-match", "\"\(etag)\"")]),
           let own = try? S3Request(head: h, domain: nil) {
            invariant((try? Conditionals.check(own, etag: etag, lastModified: modified, forRead: forRead)) != nil, "own ETag refused")
        }
    }
    do {
        if let c = try WriteConditionHeaders.parse(s3) {
            invariant(c.ifMatch != nil || c.ifNoneMatch, "an empty write condition")
        } else {
            invariant(s3.header("if-match") == nil && s3.header("if-none-match") == nil, "write conditions ignored")
        }
    } catch {
        expectError(error, ["InvalidArgument", "NotImplemented"], "WriteConditionHeaders")
    }
}

// MARK: 4: checksums and Content-MD5

/// Digest lengths of x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256 (and Content-MD5).
let digestLengths = [4, 8, 16, 20, 32]

func fuzzChecksums(_ bytes: ArraySlice<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    // Round trip: what Base64 writes it reads back, for digests of every algorithm's length.
    for length in digestLengths where bytes.count >= length {
        let digest = Array(bytes.prefix(length))
        let encoded = Base64.encode(digest)
        invariant(Base64.decode(encoded) == digest, "Base64 round trip")
        invariant(encoded.utf8.count == (length + 2) / 3 * 4, "Base64 length")
        if length == 16 { invariant((try? ContentMD5.parse(" " + encoded + " ")) == digest, "Content-MD5 round trip") }
    }
    // The strict decoder (checksums) accepts one spelling per value; Foundation's (Content-MD5) agrees on it.
    if let decoded = Base64.decode(text) {
        invariant(Base64.encode(decoded).utf8.elementsEqual(text.utf8), "Base64 accepted a non-canonical spelling")
        invariant(Data(base64Encoded: text).map(Array.init) == decoded, "Foundation's base64 disagrees with Base64")
        if decoded.count == 16 { invariant((try? ContentMD5.parse(text)) == decoded, "Content-MD5 refused a valid digest") }
    }
    do {
        let md5 = try ContentMD5.parse(text)
        invariant(md5.count == 16, "Content-MD5 of \(md5.count) bytes")
    } catch {
        expectError(error, ["InvalidDigest"], "ContentMD5")
    }
}

// MARK: 5: list markers

func fuzzMarkers(_ bytes: ArraySlice<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    // A continuation token the gateway wrote reads back as the key it names.
    let token = ContinuationToken.encode(text)
    invariant(token.utf8.allSatisfy { PercentEncoding.isUnreserved($0) || $0 == UInt8(ascii: "=") }, "token not URL-safe")
    invariant(sameBytes(ContinuationToken.decode(token), text), "continuation token round trip")
    // Any token a client sends decodes to a key or is refused; never a crash.
    if let key = ContinuationToken.decode(text) {
        invariant(sameBytes(ContinuationToken.decode(ContinuationToken.encode(key)), key), "decoded token round trip")
    }
    // version-id-marker and versionId: "null" or one of the gateway's IDs, whose text is unique.
    do {
        let version = try VersionID.parse(text, name: "version-id-marker")
        invariant(version.id.utf8.elementsEqual(text.utf8), "version id \(text) is not canonical")
    } catch {
        expectError(error, ["InvalidArgument"], "VersionID")
    }
}
