import StorageCore
import Testing
@testable import S3API

@Suite struct DeclaredLengthTests {
    func refused(_ length: String?, _ decoded: String?, _ te: String?) -> String? {
        do { try DeclaredLength.require(contentLength: length, decodedContentLength: decoded, transferEncoding: te); return nil }
        catch let e as CoreError { return e.code } catch { return "unexpected" }
    }

    @Test func aBodyNeedsALengthOrChunkedTransferEncoding() {
        #expect(refused("5", nil, nil) == nil)
        #expect(refused(nil, "5", nil) == nil)
        #expect(refused(nil, nil, "chunked") == nil)
        #expect(refused(nil, nil, "Chunked") == nil)
        #expect(refused(nil, nil, "gzip, chunked") == nil)
        #expect(refused(nil, nil, nil) == "MissingContentLength")
        #expect(refused(nil, nil, "gzip") == "MissingContentLength")
        #expect(refused(nil, nil, "chunked, gzip") == "MissingContentLength")
        #expect(refused(nil, nil, "") == "MissingContentLength")
    }
}
