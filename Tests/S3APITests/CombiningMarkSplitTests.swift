import HTTPTypes
import StorageCore
import Testing
@testable import GatewayHTTP
@testable import S3API

/// Found by the frontend fuzz target (Fuzz/corpus/frontend/regression-copy-source-combining-mark.bin): a "/" followed
/// by a combining mark is one Character, so splitting the copy source (and the request path) with `firstIndex(of: "/")`
/// on the String skipped that "/" and put the bucket/key boundary elsewhere. Both are split by bytes now.
@Suite struct CombiningMarkSplitTests {
    func request(_ method: String, _ target: String, headers: [(String, String)] = []) throws -> S3Request {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let head = HTTPRequest(method: HTTPRequest.Method(method)!, scheme: "http", authority: "127.0.0.1:9000", path: target,
                               headerFields: fields)
        return try S3Request(head: head, domain: nil)
    }

    func bytes(_ s: String?) -> [UInt8]? { s.map { Array($0.utf8) } }

    @Test func copySourceKeyStartingWithACombiningMark() throws {
        for source in ["/src/%CC%81key", "src/\u{301}key", "/src/\u{301}key?versionId=null"] {
            let s3 = try request("PUT", "/b/k", headers: [("x-amz-copy-source", source)])
            let (bucket, key, _) = try CopySource.parse(s3)
            #expect(bytes(bucket) == Array("src".utf8))
            #expect(bytes(key) == Array("\u{301}key".utf8))
        }
        // The fuzzer's input: a source beginning with a combining mark; written back as a client writes it, it reads the same.
        let s3 = try request("PUT", "/b/k", headers: [("x-amz-copy-source", "/%D9%9EN~/lk")])
        let (bucket, key, _) = try CopySource.parse(s3)
        #expect(bytes(bucket) == Array("\u{65E}N~".utf8) && bytes(key) == Array("lk".utf8))
    }

    /// The virtual host's bucket: the host name before the port, by bytes, ASCII case folded.
    @Test(arguments: [
        ("Photos.LocalHost:9000", "photos"),
        ("b.localhost", "b"),
        ("b.localhost:\u{301}9000", "b"),         // ":" then a combining mark is one Character, and still the port's colon
        ("b\u{301}.localhost", "b\u{301}"),       // kept as bytes (and later refused as a bucket name)
        ("b.localhost\u{301}", nil),              // the domain, then more bytes: not this domain
        (".localhost:9000", nil),
        ("localhost:9000", nil),
        ("b.xlocalhost", nil),
        ("[::1]:9000", nil),
    ] as [(String, String?)])
    func virtualHostBucketByBytes(_ host: String, _ bucket: String?) throws {
        let head = HTTPRequest(method: .get, scheme: "http", authority: host, path: "/k", headerFields: HTTPFields())
        let s3 = try S3Request(head: head, domain: "LOCALHOST")
        #expect(bytes(s3.virtualHosted ? s3.bucket : nil) == bytes(bucket), "\(Array(host.unicodeScalars))")
    }

    @Test func versionIdAfterAQuestionMarkWithACombiningMark() throws {
        let s3 = try request("PUT", "/b/k", headers: [("x-amz-copy-source", "/src/key?\u{301}versionId=null")])
        #expect(throws: CoreError.self) { try CopySource.parse(s3) }
    }

    @Test func requestPathSplitByBytes() throws {
        let s3 = try request("PUT", "/b/\u{301}key")
        #expect(bytes(s3.bucket) == Array("b".utf8))
        #expect(bytes(s3.key) == Array("\u{301}key".utf8))
        #expect(try S3Endpoint.resolve(s3, maxParts: 10_000) == .putObject(bucket: "b", key: "\u{301}key"))
    }
}
