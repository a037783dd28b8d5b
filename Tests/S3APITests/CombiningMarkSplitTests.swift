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
