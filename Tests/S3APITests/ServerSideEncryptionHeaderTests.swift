import StorageCore
import Testing
@testable import S3API

/// x-amz-server-side-encryption as the front end reads it: only AES256 asks for SSE-S3; SSE-KMS is
/// NotImplemented; anything else is InvalidArgument naming the header. Never a crash, never a silent plain write.
@Suite struct ServerSideEncryptionHeaderTests {
    @Test func onlyAES256AsksForSSES3() throws {
        #expect(try S3Service.requestsSSES3(nil) == false)
        #expect(try S3Service.requestsSSES3("AES256") == true)
        for kms in ["aws:kms", "aws:kms:dsse"] {
            let e = #expect(throws: CoreError.self) { try S3Service.requestsSSES3(kms) }
            #expect(e?.code == "NotImplemented")
        }
        for bad in ["", "aes256", "AES256 ", " AES256", "AES-256", "AES128", "aws:km", "AES256,AES256", "\u{0}", "é"] {
            let e = #expect(throws: CoreError.self) { try S3Service.requestsSSES3(bad) }
            #expect(e?.code == "InvalidArgument")
            #expect(e?.details.contains { $0.name == "ArgumentName" && $0.value == "x-amz-server-side-encryption" } == true)
        }
    }

    /// Fuzz-ish: random strings over a small alphabet near the real values; only the exact "AES256" passes.
    @Test func randomValuesAreRefusedUnlessExactlyAES256() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("AES256aes:kmsdw- \t,".unicodeScalars)
        for _ in 0..<5000 {
            let n = Int.random(in: 0...10, using: &g)
            var v = String.UnicodeScalarView()
            for _ in 0..<n { v.append(alphabet[Int.random(in: 0..<alphabet.count, using: &g)]) }
            let value = String(v)
            do {
                let asked = try S3Service.requestsSSES3(value)
                #expect(asked && Array(value.utf8) == Array("AES256".utf8))
            } catch let e as CoreError {
                #expect(e.code == "InvalidArgument" || (e.code == "NotImplemented" && value.hasPrefix("aws:kms")))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
