import Foundation
import StorageCore
import Testing
@testable import S3API

/// The SSE-C headers as S3 checks them; fuzz-ish values never crash and never pass unless exactly right.
@Suite struct CustomerKeyHeadersTests {
    static let key = Array(0..<32).map { UInt8($0) }
    static var keyB64: String { Data(key).base64EncodedString() }
    /// base64 of the MD5 of `key` (bytes 0...31), computed with Python's hashlib.
    static let md5B64 = "tP/LI3N87DFaSk0aoqYgzg=="

    func parse(_ fields: [String: String], prefix: String = CustomerKeyHeaders.prefix) throws -> CustomerKeyHeaders? {
        try CustomerKeyHeaders.parse({ fields[$0] }, prefix: prefix)
    }

    func code(_ fields: [String: String]) -> String {
        do { _ = try parse(fields); return "ok" } catch let e as CoreError { return e.code } catch { return "\(error)" }
    }

    @Test func validHeadersGiveTheKey() throws {
        let p = CustomerKeyHeaders.prefix
        #expect(try parse([:]) == nil)
        let h = try parse([p + "algorithm": "AES256", p + "key": Self.keyB64, p + "key-md5": Self.md5B64])
        #expect(h?.keyMD5 == Self.md5B64)
        let c = CustomerKeyHeaders.copySourcePrefix
        #expect(try parse([c + "algorithm": "AES256", c + "key": Self.keyB64, c + "key-md5": Self.md5B64], prefix: c) != nil)
        #expect(try parse([p + "algorithm": "AES256", p + "key": Self.keyB64, p + "key-md5": Self.md5B64], prefix: c) == nil)
    }

    @Test func badHeadersGetS3sErrors() {
        let p = CustomerKeyHeaders.prefix
        let good = [p + "algorithm": "AES256", p + "key": Self.keyB64, p + "key-md5": Self.md5B64]
        func without(_ name: String) -> [String: String] { var f = good; f[name] = nil; return f }
        func with(_ name: String, _ value: String) -> [String: String] { var f = good; f[name] = value; return f }
        #expect(code(without(p + "algorithm")) == "InvalidArgument")
        #expect(code(without(p + "key")) == "InvalidArgument")
        #expect(code(without(p + "key-md5")) == "InvalidArgument")
        #expect(code(with(p + "algorithm", "AES128")) == "InvalidEncryptionAlgorithmError")
        #expect(code(with(p + "algorithm", "aes256")) == "InvalidEncryptionAlgorithmError")
        #expect(code(with(p + "key", Data(Self.key.dropLast()).base64EncodedString())) == "InvalidArgument")
        #expect(code(with(p + "key", "!!!")) == "InvalidArgument")
        #expect(code(with(p + "key-md5", "VaVACK0bpYmqIQ0mKcHfQQ==")) == "InvalidArgument")
        #expect(code(with(p + "key-md5", Self.md5B64.lowercased())) == "InvalidArgument")
    }

    @Test func randomHeaderValuesNeverPassUnlessRight() {
        let p = CustomerKeyHeaders.prefix
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("AES256aes+/=0123456789abcdefXYZ ".unicodeScalars)
        func junk() -> String {
            var v = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...48, using: &g) { v.append(alphabet[Int.random(in: 0..<alphabet.count, using: &g)]) }
            return String(v)
        }
        for i in 0..<3000 {
            var f = [p + "algorithm": "AES256", p + "key": Self.keyB64, p + "key-md5": Self.md5B64]
            let name = [p + "algorithm", p + "key", p + "key-md5"][i % 3]
            f[name] = junk()
            let result = code(f)
            #expect(result == "ok" || result == "InvalidArgument" || result == "InvalidEncryptionAlgorithmError")
            if result == "ok" { #expect(f == [p + "algorithm": "AES256", p + "key": Self.keyB64, p + "key-md5": Self.md5B64]) }
        }
    }
}
