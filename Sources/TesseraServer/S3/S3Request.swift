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
        try self.init(head: request.head, domain: domain)
    }

    init(head request: HTTPRequest, domain: String?) throws {
        method = request.method.rawValue
        let target = request.path ?? "/"
        if let q = target.firstIndex(of: "?") {
            rawPath = String(target[..<q])
            rawQuery = String(target[target.index(after: q)...])
        } else {
            rawPath = target
            rawQuery = ""
        }
        headers = request.headerFields
        host = request.authority ?? ""
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
        var raw = raw
        // On UTF-8 bytes: splitting a String by Character runs grapheme breaking on every byte (~4% of a GET).
        try raw.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
                if end > start {
                    let pair = bytes[start..<end]
                    let eq = pair.firstIndex(of: UInt8(ascii: "="))
                    let name = try decode(bytes: pair[..<(eq ?? end)], plusIsSpace: true)
                    let value = try eq.map { try decode(bytes: pair[($0 + 1)...], plusIsSpace: true) } ?? ""
                    if q[name] == nil { q[name] = value }
                }
                start = end + 1
            }
        }
        return q
    }

    static let invalidURI = CoreError("InvalidURI", "Couldn't parse the specified URI.")

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    /// Percent-decoding that refuses malformed escapes and invalid UTF-8 (InvalidURI).
    static func decode(_ s: Substring, plusIsSpace: Bool = false) throws -> String {
        var s = s
        return try s.withUTF8 { try decode(bytes: $0[...], plusIsSpace: plusIsSpace) }
    }

    static func decode(bytes: Slice<UnsafeBufferPointer<UInt8>>, plusIsSpace: Bool) throws -> String {
        let invalid = invalidURI
        // Most names and values need no decoding.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            guard let str = String(validating: bytes, as: UTF8.self) else { throw invalid }
            return str
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else { throw invalid }
                out.append(hi << 4 | lo)
                i += 3
                continue
            }
            out.append(plusIsSpace && c == UInt8(ascii: "+") ? 32 : c)
            i += 1
        }
        guard let str = String(validating: out, as: UTF8.self) else { throw invalid }
        return str
    }
}
