import Foundation
import GatewayHTTP
import HTTPTypes
import StorageCore
import WireFormats

/// An S3 request with its addressing resolved: bucket and key (path or virtual-hosted style), the
/// raw path and query as sent (for signatures), and the decoded query.
struct S3Request {
    let method: String
    let rawPath: String
    let rawQuery: String
    let query: QueryParameters
    let host: String
    let bucket: String?
    let key: String?
    let headers: HTTPFields
    /// The bucket came from the Host header (SigV2 signs "/bucket" + path then).
    let virtualHosted: Bool
    /// Who sent it, once its signature is checked (anonymous: none was sent).
    var caller: Caller = .anonymous
    /// Set when the handler must show that the caller may use the object it reads (`ObjectAccessGate`).
    var objectGate: ObjectAccessGate?
    /// The client's IP address, for bucket policies (aws:SourceIp).
    var clientAddress: String?

    /// - Parameter domain: with "localhost", `b.localhost:9000` addresses bucket `b`.
    init(head request: HTTPRequest, domain: String?) throws {
        method = request.method.rawValue
        let target = RequestTarget(request.path ?? "/")
        (rawPath, rawQuery) = (target.rawPath, target.rawQuery)
        headers = request.headerFields
        host = request.authority ?? ""
        query = try target.decodedQuery()

        var hostBucket: String?
        if let domain, !domain.isEmpty {
            // As bytes, case folded in ASCII only: the host name before any port, ending in "." + domain.
            let name = host.utf8.prefix { $0 != UInt8(ascii: ":") }.map(ASCIICase.lower)
            let suffix = [UInt8(ascii: ".")] + domain.utf8.map(ASCIICase.lower)
            if name.count > suffix.count, name.suffix(suffix.count).elementsEqual(suffix) {
                hostBucket = String(decoding: name.dropLast(suffix.count), as: UTF8.self)
            }
        }
        // Split by bytes: "/" followed by a combining mark is one Character, which a Character search would skip.
        guard rawPath.utf8.first == UInt8(ascii: "/") else { throw PercentDecoding.invalidURI }
        let path = rawPath.utf8.dropFirst()
        virtualHosted = hostBucket != nil
        if let hostBucket {
            bucket = hostBucket
            key = path.isEmpty ? nil : try PercentDecoding.decode(utf8: path)
        } else if path.isEmpty {
            bucket = nil
            key = nil
        } else if let slash = path.firstIndex(of: UInt8(ascii: "/")) {
            bucket = try PercentDecoding.decode(utf8: path[..<slash])
            let rest = path[path.index(after: slash)...]
            key = rest.isEmpty ? nil : try PercentDecoding.decode(utf8: rest)
        } else {
            bucket = try PercentDecoding.decode(utf8: path)
            key = nil
        }
    }

    /// The value of header `name`, given in lowercase; several fields of that name are joined as
    /// `HTTPFields` joins them. Compared as bytes with each field's lowercased name, so a lookup makes no
    /// `HTTPField.Name` (a token check and a lowercased copy, a dozen times a GET).
    func header(_ name: String) -> String? {
        var found: String?
        for field in headers where sameBytes(field.name.canonicalName, name) {
            if found != nil { return HTTPField.Name(name).flatMap { headers[$0] } }
            found = field.value
        }
        return found
    }

    /// "/bucket/key" for error documents.
    var resource: String {
        var r = "/"
        if let bucket { r += bucket }
        if let key { r += "/" + key }
        return r
    }
}
