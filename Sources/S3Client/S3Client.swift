import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import S3XML
import SigV4
import WireFormats

/// A small S3 client for `tessera cp`: the multipart calls, PutObject, HeadObject and ranged GetObject, signed with
/// SigV4 (payloads unsigned, integrity by Content-MD5), path-style addressing against any S3 endpoint.
public final class S3Client: Sendable {
    public let endpoint: URL
    let signer: RequestSigner
    let http: HTTPClient
    let hostHeader: String
    /// scheme://host[:port], what every request URL starts with.
    let origin: String
    let basePath: String

    /// `caBundle`: a PEM file of extra trust roots (as AWS_CA_BUNDLE), else the system's.
    public init(endpoint: URL, signer: RequestSigner, caBundle: String? = nil) throws {
        guard let scheme = endpoint.scheme, scheme == "http" || scheme == "https", let host = endpoint.host, !host.isEmpty else {
            throw S3ClientError(operation: "endpoint", status: 0, code: "", message: "\(endpoint) is not an http(s) URL")
        }
        self.endpoint = endpoint
        self.signer = signer
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        if let caBundle {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caBundle)
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let defaultPort = scheme == "https" ? 443 : 80
        let hostText = host.contains(":") ? "[\(host)]" : host
        hostHeader = endpoint.port.map { $0 == defaultPort ? hostText : "\(hostText):\($0)" } ?? hostText
        origin = scheme + "://" + hostHeader
        basePath = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
    }

    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: operations

    public func createMultipartUpload(bucket: String, key: String, contentType: String?) async throws -> String {
        let response = try await send("CreateMultipartUpload", .POST, bucket: bucket, key: key, query: [("uploads", nil)],
                                      headers: contentType.map { [("content-type", $0)] } ?? [])
        return try S3ResponseXML.uploadId(response.body)
    }

    /// The part's ETag as S3 answers it (quoted).
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: FileRangeBody,
                           md5Base64: String) async throws -> String {
        let response = try await send("UploadPart", .PUT, bucket: bucket, key: key,
                                      query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                                      headers: [("content-md5", md5Base64)], body: body)
        return try etag(response, "UploadPart")
    }

    public func putObject(bucket: String, key: String, body: FileRangeBody, md5Base64: String, contentType: String?) async throws -> String {
        var headers = [("content-md5", md5Base64)]
        if let contentType { headers.append(("content-type", contentType)) }
        let response = try await send("PutObject", .PUT, bucket: bucket, key: key, query: [], headers: headers, body: body)
        return try etag(response, "PutObject")
    }

    /// Every part S3 holds for the upload, following the listing's pages.
    public func listParts(bucket: String, key: String, uploadId: String) async throws -> [S3ResponseXML.Part] {
        var parts: [S3ResponseXML.Part] = []
        var marker: Int?
        repeat {
            var query: [(String, String?)] = [("uploadId", uploadId)]
            if let marker { query.append(("part-number-marker", String(marker))) }
            let listing = try S3ResponseXML.partListing(try await send("ListParts", .GET, bucket: bucket, key: key, query: query).body)
            parts += listing.parts
            marker = listing.isTruncated ? (listing.nextPartNumberMarker ?? listing.parts.last?.partNumber) : nil
        } while marker != nil
        return parts
    }

    /// The unfinished uploads of exactly `key` (listed by prefix, then matched byte for byte).
    public func listMultipartUploads(bucket: String, key: String) async throws -> [S3ResponseXML.Upload] {
        var uploads: [S3ResponseXML.Upload] = []
        var markers: (key: String, id: String)?
        repeat {
            var query: [(String, String?)] = [("uploads", nil), ("prefix", key)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.id)] }
            let listing = try S3ResponseXML.uploadListing(try await send("ListMultipartUploads", .GET, bucket: bucket, key: nil, query: query).body)
            uploads += listing.uploads.filter { Array($0.key.utf8) == Array(key.utf8) }
            if listing.isTruncated, let k = listing.nextKeyMarker ?? listing.uploads.last?.key,
               let i = listing.nextUploadIdMarker ?? listing.uploads.last?.uploadId {
                markers = (k, i)
            } else {
                markers = nil
            }
        } while markers != nil
        return uploads
    }

    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for p in parts { xml += "<Part><PartNumber>\(p.number)</PartNumber><ETag>\(escape(p.etag))</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let response = try await send("CompleteMultipartUpload", .POST, bucket: bucket, key: key, query: [("uploadId", uploadId)],
                                      headers: [("content-type", "application/xml")], bytes: Array(xml.utf8))
        // S3 can answer 200 and still fail the completion, with an Error document as the body.
        if let document = try? S3ResponseXML.errorDocument(response.body) {
            throw S3ClientError(operation: "CompleteMultipartUpload", status: 200, code: document.code, message: document.message)
        }
        return try S3ResponseXML.completedETag(response.body)
    }

    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send("AbortMultipartUpload", .DELETE, bucket: bucket, key: key, query: [("uploadId", uploadId)])
    }

    public struct ObjectHead: Sendable {
        public var size: Int64
        public var etag: String
        public var partsCount: Int?
    }

    /// `partNumber`: the head of that part of a multipart object (its size is the part's).
    public func headObject(bucket: String, key: String, partNumber: Int? = nil) async throws -> ObjectHead {
        let response = try await send("HeadObject", .HEAD, bucket: bucket, key: key,
                                      query: partNumber.map { [("partNumber", String($0))] } ?? [])
        guard let size = response.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
            throw S3ClientError(operation: "HeadObject", status: Int(response.status.code), code: "", message: "no Content-Length")
        }
        return ObjectHead(size: size, etag: try etag(response, "HeadObject"),
                          partsCount: response.headers.first(name: "x-amz-mp-parts-count").flatMap { Int($0) })
    }

    /// Bytes `range` of the object, only while its ETag is still `etag` (else 412 PreconditionFailed), handed to
    /// `write` piece by piece with their offset in the object.
    public func getObjectRange(bucket: String, key: String, range: ClosedRange<Int64>, etag: String,
                               write: (Int64, ByteBuffer) throws -> Void) async throws {
        let request = try makeRequest(.GET, bucket: bucket, key: key, query: [],
                                      headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound)"), ("if-match", etag)])
        let response = try await http.execute(request, timeout: .minutes(10))
        guard response.status == .partialContent || (response.status == .ok && range.lowerBound == 0) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw failure("GetObject", response.status, Array(buffer: body))
        }
        var offset = range.lowerBound
        for try await piece in response.body {
            guard offset + Int64(piece.readableBytes) <= range.upperBound + 1 else {
                throw S3ClientError(operation: "GetObject", status: Int(response.status.code), code: "", message: "more bytes than the range asked for")
            }
            try write(offset, piece)
            offset += Int64(piece.readableBytes)
        }
        guard offset == range.upperBound + 1 else {
            throw S3ClientError(operation: "GetObject", status: Int(response.status.code), code: "",
                                message: "the body ended at byte \(offset), before the end of the range")
        }
    }

    // MARK: the wire

    struct Answer {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    private func send(_ operation: String, _ method: HTTPMethod, bucket: String, key: String?, query: [(String, String?)],
                      headers: [(String, String)] = [], body: FileRangeBody? = nil, bytes: [UInt8]? = nil) async throws -> Answer {
        var request = try makeRequest(method, bucket: bucket, key: key, query: query, headers: headers)
        if let body {
            request.body = .stream(body, length: .known(body.length))
        } else if let bytes {
            request.body = .bytes(bytes)
        }
        let response = try await http.execute(request, timeout: .minutes(10))
        let collected = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        guard (200..<300).contains(response.status.code) else { throw failure(operation, response.status, collected) }
        return Answer(status: response.status, headers: response.headers, body: collected)
    }

    private func makeRequest(_ method: HTTPMethod, bucket: String, key: String?, query: [(String, String?)],
                             headers: [(String, String)]) throws -> HTTPClientRequest {
        var path = basePath + "/" + PercentEncoding.encode(bucket)
        if let key { path += "/" + PercentEncoding.encode(key, keepingSlash: true) }
        let queryText = query.map { name, value in
            PercentEncoding.encode(name) + (value.map { "=" + PercentEncoding.encode($0) } ?? "")
        }.joined(separator: "&")
        let all = [("host", hostHeader)] + headers.map { ($0.0.lowercased(), $0.1) }
        let signature = signer.signatureHeaders(
            for: IncomingRequest(method: method.rawValue, path: path, query: queryText, headers: all.map { (name: $0.0, value: $0.1) }),
            payloadHash: RequestSigner.unsignedPayload)
        var request = HTTPClientRequest(url: origin + path + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = method
        for (name, value) in all + signature.map({ ($0.name, $0.value) }) { request.headers.add(name: name, value: value) }
        return request
    }

    private func failure(_ operation: String, _ status: HTTPResponseStatus, _ body: [UInt8]) -> S3ClientError {
        let document = body.isEmpty ? nil : try? S3ResponseXML.errorDocument(body)
        return S3ClientError(operation: operation, status: Int(status.code), code: document?.code ?? "",
                             message: document?.message ?? (body.isEmpty ? status.reasonPhrase : String(decoding: body.prefix(200), as: UTF8.self)))
    }

    private func etag(_ answer: Answer, _ operation: String) throws -> String {
        guard let etag = answer.headers.first(name: "etag") else {
            throw S3ClientError(operation: operation, status: Int(answer.status.code), code: "", message: "no ETag in the answer")
        }
        return etag
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
