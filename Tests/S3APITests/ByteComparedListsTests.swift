import Foundation
import HTTPTypes
import StorageCore
import Testing
@testable import S3API

/// Lists and tokens read from the wire are split and compared as bytes: a separator followed by a
/// combining mark is one Character, which a String split or `==` would not see.
@Suite struct ByteComparedListsTests {
    func request(_ headers: [(String, String)]) throws -> S3Request {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return try S3Request(head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:9000", path: "/b/k",
                                               headerFields: fields), domain: nil)
    }

    func check(_ headers: [(String, String)], etag: String) throws -> String? {
        do {
            try Conditionals.check(try request(headers), etag: etag, lastModified: Date(), forRead: true)
            return nil
        } catch let e as CoreError {
            return e.code
        }
    }

    @Test func ifMatchListsSplitAtEveryComma() throws {
        #expect(try check([("if-match", "\"a\", \"b\"")], etag: "b") == nil)
        #expect(try check([("if-match", "\"a\", \"b\"")], etag: "c") == "PreconditionFailed")
        #expect(try check([("if-match", " * ")], etag: "c") == nil)
        // "," then U+0301 is one Character: split as bytes, the first tag is still "a".
        #expect(try check([("if-match", "\"a\",\u{301}\"b\"")], etag: "a") == nil)
        #expect(try check([("if-none-match", "\"a\",\u{301}\"b\"")], etag: "a") == "NotModified")
        // Canonically equivalent is not equal: U+212A KELVIN SIGN is K to String ==, not to bytes.
        #expect(try check([("if-match", "\"\u{212A}\"")], etag: "k") == "PreconditionFailed")
    }

    @Test func continuationTokensRoundTripInBase64URL() {
        var seen = (dash: false, underscore: false)
        for i in 0..<2000 {
            let key = "k\(i)/" + String(UnicodeScalar(UInt32(0xA0 + i))!) + String(repeating: "?", count: i % 7)
            let token = ContinuationToken.encode(key)
            #expect(!token.utf8.contains(UInt8(ascii: "+")) && !token.utf8.contains(UInt8(ascii: "/")))
            seen.dash = seen.dash || token.utf8.contains(UInt8(ascii: "-"))
            seen.underscore = seen.underscore || token.utf8.contains(UInt8(ascii: "_"))
            #expect(ContinuationToken.decode(token).map { Array($0.utf8) } == Array(key.utf8))
        }
        #expect(seen.dash && seen.underscore)
        #expect(ContinuationToken.decode("a2V5\u{301}") == nil)
        #expect(ContinuationToken.decode("!!!!") == nil)
    }
}
