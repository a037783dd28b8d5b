import Foundation
import SigV4
import Testing

/// One recorded request from Fixtures/wire/*.jsonl (see that folder's README).
struct WireRecord: Decodable {
    struct Body: Decodable {
        var framing: String
        var length: Int
        var b64: String?
        var headB64: String?
    }
    struct AWSChunked: Decodable {
        var decodedLength: Int
        var decodedSha256: String
        var trailerLines: [String]
    }

    var seq: Int
    var op: String
    var style: String?
    var method: String
    var target: String
    var headers: [[String]]
    var body: Body
    var awsChunked: AWSChunked?

    var file = ""

    enum CodingKeys: String, CodingKey {
        case seq, op, style, method, target, headers, body, awsChunked
    }

    var label: String { "\(file) seq \(seq) \(op)" }

    func header(_ name: String) -> String? {
        headers.first { $0[0].lowercased() == name }?[1]
    }

    var path: String { String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }

    var query: String {
        guard let q = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: q)...])
    }

    /// The fixtures' virtual-hosted requests go to `<bucket>.localhost:9000`.
    var virtualHostBucket: String? {
        guard style == "virtual-hosted", let host = header("host") else { return nil }
        let name = host.split(separator: ":")[0]
        guard name.hasSuffix(".localhost") else { return nil }
        return String(name.dropLast(".localhost".count))
    }

    var request: IncomingRequest {
        IncomingRequest(
            method: method, path: path, query: query, headers: headers.map { ($0[0], $0[1]) },
            virtualHostBucket: virtualHostBucket)
    }

    enum AuthKind { case none, v4Header, v4Presigned, v2Header, v2Presigned }

    var authKind: AuthKind {
        if let auth = header("authorization") {
            return auth.hasPrefix("AWS4-") ? .v4Header : .v2Header
        }
        if query.contains("X-Amz-Signature=") { return .v4Presigned }
        if query.contains("AWSAccessKeyId=") { return .v2Presigned }
        return .none
    }

    var wireBody: [UInt8]? { body.b64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } }
}

enum Fixtures {
    static let accessKey = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    /// Walks up from this source file (through symlinks too) to the package root holding Fixtures/wire,
    /// so the tests find it from any checkout or from a package that links these sources.
    static let directory: URL? = {
        let file = URL(fileURLWithPath: #filePath)
        for start in [file.resolvingSymlinksInPath(), file] {
            var dir = start.deletingLastPathComponent()
            while dir.path != "/" && !dir.path.isEmpty {
                let candidate = dir.appendingPathComponent("Fixtures").appendingPathComponent("wire")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                    return candidate
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }()

    static let fileNames: [String] = {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return []
        }
        return names.filter { $0.hasSuffix(".jsonl") }.sorted()
    }()

    static func load(_ name: String) throws -> [WireRecord] {
        guard let directory else { throw FixtureError.missing("Fixtures/wire not found above \(#filePath)") }
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try text.split(separator: "\n").map { line in
            var record = try decoder.decode(WireRecord.self, from: Data(line.utf8))
            record.file = name
            return record
        }
    }

    static func loadAll() throws -> [WireRecord] {
        try fileNames.flatMap(load)
    }

    static func verifier(credentials: @escaping @Sendable (String) -> String? = { $0 == accessKey ? secret : nil })
        -> Verifier
    {
        Verifier(region: "us-east-1", credentials: credentials, maxSkew: nil)
    }
}

enum FixtureError: Error { case missing(String) }

/// Removes HTTP/1.1 chunked framing (test helper). Stops quietly at a truncation, so it also
/// serves the fixtures' `head_b64` prefixes.
func httpDechunk(_ wire: [UInt8]) -> (payload: [UInt8], complete: Bool) {
    var out: [UInt8] = []
    var i = 0
    func readLine() -> [UInt8]? {
        var j = i
        while j + 1 < wire.count && !(wire[j] == 0x0d && wire[j + 1] == 0x0a) { j += 1 }
        guard j + 1 < wire.count else { return nil }
        let line = Array(wire[i..<j])
        i = j + 2
        return line
    }
    while let line = readLine() {
        let sizeText = String(decoding: line.prefix { $0 != 0x3b }, as: UTF8.self)
        guard let size = Int(sizeText, radix: 16) else { return (out, false) }
        if size == 0 { return (out, true) }
        let end = min(i + size, wire.count)
        out += wire[i..<end]
        if end < i + size { return (out, false) }
        i = end + 2
    }
    return (out, false)
}

/// Feeds `wire` to a decoder in slices of `sliceSize` bytes (or of pseudo-random sizes when `random`
/// is given) and returns the decoded payload hash, length and trailers.
func decodeInSlices(
    _ wire: [UInt8], decoder: inout AWSChunkedDecoder, sliceSize: Int, random: inout SplitMix64?
) throws -> (sha256: String, length: Int, trailers: [String: String]) {
    var hasher = PayloadSHA256()
    var length = 0
    try wire.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            var size = sliceSize
            if random != nil { size = Int(random!.next() % 9000) + 1 }
            let end = min(all.count, offset + max(1, size))
            try decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { bytes in
                hasher.update(bytes)
                length += bytes.count
            }
            offset = end
        }
    }
    let trailers = try decoder.finish()
    return (hasher.hexDigest(), length, trailers)
}

/// Small deterministic generator, so a failing slice pattern can be reproduced.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body` and returns the AuthError it threw, or nil; any other error is a test failure.
func authError(_ body: () throws -> Void) -> AuthError? {
    do {
        try body()
        return nil
    } catch let error as AuthError {
        return error
    } catch {
        Issue.record("expected an AuthError, got \(error)")
        return nil
    }
}
