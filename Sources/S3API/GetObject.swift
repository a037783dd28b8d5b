import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import StorageCore

/// GetObject and HeadObject: conditionals, a single byte Range, ?partNumber=N, response-* overrides,
/// and a body streamed across the object's segments.
extension S3Service {
    func getObject(_ bucket: String, _ key: String, s3: S3Request, head: Bool) async throws -> Response {
        let object: OpenObject
        if let raw = s3.query["versionId"] {
            object = try await storage.openObject(bucket: bucket, key: key, version: try VersionID.parse(raw))
        } else {
            object = try await storage.openObject(bucket: bucket, key: key)
        }
        let record = object.record
        try s3.objectGate?.pass(record)
        // A sealed object this gateway cannot open is refused before anything is sent (no master key: NotImplemented).
        let customer = try customerKey(s3)
        let cipher = try self.cipher(for: record.attributes.encryption, customer: customer)
        do {
            try Conditionals.check(s3, etag: record.etag, lastModified: record.lastModified, forRead: true)
        } catch let e as CoreError where e.code == "NotModified" {
            // As S3 does (and RFC 9110 §15.4.5 asks): a 304 carries the validators a 200 would have.
            var headers = HTTPFields()
            headers[.eTag] = "\"\(record.etag)\""
            headers[.lastModified] = S3Time.http(record.lastModified)
            if record.versioned { headers[Self.versionIDHeader] = record.versionID }
            return Response(status: .notModified, headers: headers)
        }

        var headers = Self.objectHeaders(record)
        Self.addEncryption(record.attributes.encryption, customer: customer, to: &headers)
        // A stored checksum describes the whole object: S3 returns it only when the whole object is sent,
        // or, with ?partNumber, the part's own checksum (composite multipart objects keep one per part).
        if s3.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" && s3.header("range") == nil {
            if let raw = s3.query["partNumber"] {
                if let checksums = Self.partChecksums(object, partNumber: raw) {
                    ObjectHeaders.addChecksums(checksums, to: &headers, type: record.attributes.checksumType)
                }
            } else {
                ObjectHeaders.addChecksums(record.attributes.checksums, to: &headers, type: record.attributes.checksumType)
            }
        }
        for (param, header) in Self.overrides {
            if let v = s3.query[param] { headers[header] = v }
        }

        var range: ClosedRange<Int64>? = nil
        var status = HTTPResponse.Status.ok
        if let raw = s3.query["partNumber"] {
            guard let n = Int(raw), n >= 1, n <= 10_000 else {
                throw CoreError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: raw)
            }
            guard let r = object.partRange(n) else {
                if record.size == 0 && n == 1 && record.partsCount == nil {
                    return finish(object, range: nil, status: .ok, headers: headers, head: head, cipher: cipher)
                }
                throw CoreError("InvalidPartNumber", "The requested partnumber is not satisfiable",
                                details: [.init("PartNumberRequested", raw), .init("ActualPartCount", String(record.partsCount ?? 1))])
            }
            range = r
            status = .partialContent
            headers[HTTPField.Name("x-amz-mp-parts-count")!] = String(record.partsCount ?? 1)
        } else if let rangeHeader = s3.header("range") {
            switch ByteRange.parse(rangeHeader, size: record.size) {
            case .none: break
            case .unsatisfiable:
                throw CoreError("InvalidRange", "The requested range is not satisfiable",
                                details: [.init("RangeRequested", rangeHeader), .init("ActualObjectSize", String(record.size))])
            case .range(let r):
                range = r
                status = .partialContent
            }
        }
        if let range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
        }
        return finish(object, range: range, status: status, headers: headers, head: head, cipher: cipher)
    }

    /// The headers every GET and HEAD of `record` carries (stored metadata, ETag, Last-Modified, the
    /// number of tags when it has any).
    static func objectHeaders(_ record: ObjectRecord) -> HTTPFields {
        var headers = HTTPFields()
        ObjectHeaders.add(record.attributes, to: &headers)
        headers[.eTag] = "\"\(record.etag)\""
        headers[.lastModified] = S3Time.http(record.lastModified)
        headers[.acceptRanges] = "bytes"
        if record.versioned { headers[versionIDHeader] = record.versionID }
        if let tags = record.attributes.tags, !tags.isEmpty { headers[taggingCountHeader] = String(tags.count) }
        addLockHeaders(record.attributes, to: &headers)
        return headers
    }

    static let versionIDHeader = HTTPField.Name("x-amz-version-id")!
    static let deleteMarkerHeader = HTTPField.Name("x-amz-delete-marker")!

    /// The checksum of part `raw` of `object`: the whole object's for part 1 of a single-part object,
    /// the part's own for a COMPOSITE multipart object; nil otherwise (FULL_OBJECT has none per part).
    static func partChecksums(_ object: OpenObject, partNumber raw: String) -> [String: String]? {
        let record = object.record
        guard let n = Int(raw), let alg = record.attributes.checksums.keys.first else { return nil }
        if record.partsCount == nil { return n == 1 ? record.attributes.checksums : nil }
        guard record.attributes.checksumType == ChecksumType.composite.rawValue,
              let value = object.segments.first(where: { $0.partNumber == n })?.checksum else { return nil }
        return [alg: value]
    }

    private func finish(_ object: OpenObject, range: ClosedRange<Int64>?, status: HTTPResponse.Status, headers: HTTPFields, head: Bool,
                        cipher: ObjectCipher?) -> Response {
        var headers = headers
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? object.record.size
        headers[.contentLength] = String(length)
        if head { return Response(status: status, headers: headers, body: .init()) }
        if let bytes = object.inlineBytes(range: range) {
            // Head and body leave in one write (Hummingbird's path for a single buffer).
            return Response(status: status, headers: headers, body: FixedResponseBody.body(bytes))
        }
        let chunks = object.chunks(range: range, cipher: cipher)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
            try await writer.write(chunks)
            try await writer.finish(nil)
        })
    }

    static let overrides: [(String, HTTPField.Name)] = [
        ("response-content-type", .contentType), ("response-content-language", .contentLanguage),
        ("response-expires", HTTPField.Name("Expires")!), ("response-cache-control", .cacheControl),
        ("response-content-disposition", .contentDisposition), ("response-content-encoding", .contentEncoding),
    ]
}
