import Foundation
import HTTPTypes
import Hummingbird
import StorageCore

/// An S3 request with its addressing resolved: bucket and key (path or virtual-hosted style), the
/// raw path and query as sent (for signatures), and the decoded query.
struct S3Request {
    let method: String
    let rawPath: String
    let rawQuery: String
    let query: [String: String]
    let host: String
    let bucket: String?
    let key: String?
    let headers: HTTPFields
    /// The bucket came from the Host header (SigV2 signs "/bucket" + path then).
    let virtualHosted: Bool

    /// - Parameter domain: with "localhost", `b.localhost:9000` addresses bucket `b`.
    init(_ request: Request, domain: String?) throws {
        method = request.method.rawValue
        let target = request.head.path ?? "/"
        if let q = target.firstIndex(of: "?") {
            rawPath = String(target[..<q])
            rawQuery = String(target[target.index(after: q)...])
        } else {
            rawPath = target
            rawQuery = ""
        }
        headers = request.headers
        host = request.head.authority ?? ""
        query = try Self.parseQuery(rawQuery)

        var hostBucket: String?
        if let domain, !domain.isEmpty {
            let name = host.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased() ?? ""
            if name.hasSuffix("." + domain.lowercased()) {
                hostBucket = String(name.dropLast(domain.count + 1))
            }
        }
        guard rawPath.hasPrefix("/") else { throw CoreError("InvalidURI", "Couldn't parse the specified URI.") }
        let path = rawPath.dropFirst()
        virtualHosted = hostBucket != nil
        if let hostBucket {
            bucket = hostBucket
            key = path.isEmpty ? nil : try Self.decode(path)
        } else if path.isEmpty {
            bucket = nil
            key = nil
        } else if let slash = path.firstIndex(of: "/") {
            bucket = try Self.decode(path[..<slash])
            let rest = path[path.index(after: slash)...]
            key = rest.isEmpty ? nil : try Self.decode(rest)
        } else {
            bucket = try Self.decode(path)
            key = nil
        }
    }

    func header(_ name: String) -> String? {
        guard let n = HTTPField.Name(name) else { return nil }
        return headers[n]
    }

    /// "/bucket/key" for error documents.
    var resource: String {
        var r = "/"
        if let bucket { r += bucket }
        if let key { r += "/" + key }
        return r
    }

    static func parseQuery(_ raw: String) throws -> [String: String] {
        var q: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? try decode(parts[1], plusIsSpace: true) : ""
            if q[name] == nil { q[name] = value }
        }
        return q
    }

    /// Percent-decoding that refuses malformed escapes and invalid UTF-8 (InvalidURI).
    static func decode(_ s: Substring, plusIsSpace: Bool = false) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        func hexValue(_ c: UInt8?) -> UInt8? {
            guard let c else { return nil }
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let hi = hexValue(it.next()), let lo = hexValue(it.next()) else {
                    throw CoreError("InvalidURI", "Couldn't parse the specified URI.")
                }
                out.append(hi << 4 | lo)
            } else if plusIsSpace && c == UInt8(ascii: "+") {
                out.append(32)
            } else {
                out.append(c)
            }
        }
        guard let str = String(validating: out, as: UTF8.self) else {
            throw CoreError("InvalidURI", "Couldn't parse the specified URI.")
        }
        return str
    }
}
