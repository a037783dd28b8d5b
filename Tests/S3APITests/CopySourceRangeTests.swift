import StorageCore
import Testing
@testable import S3API

@Suite struct CopySourceRangeTests {
    func code(_ raw: String, size: Int64) -> (code: String, message: String)? {
        do { _ = try CopySourceRange.parse(raw, sourceSize: size); return nil } catch let e as CoreError {
            return (e.code, e.message)
        } catch { return ("unexpected", "\(error)") }
    }

    @Test func rangesInsideTheSourceAreTakenAsSent() throws {
        #expect(try CopySourceRange.parse("bytes=0-99", sourceSize: 100) == 0...99)
        #expect(try CopySourceRange.parse("bytes=50-50", sourceSize: 100) == 50...50)
    }

    @Test func aRangePastTheSourceIsRefusedNotClamped() {
        // A GET's Range would be clamped to 50-99; a part copy must not silently copy less than asked.
        let past = code("bytes=50-200", size: 100)
        #expect(past?.code == "InvalidArgument")
        #expect(past?.message == "Range specified is not valid for source object of size: 100")
        #expect(code("bytes=100-100", size: 100)?.code == "InvalidArgument")
        #expect(code("bytes=0-0", size: 0)?.code == "InvalidArgument")
    }

    @Test func malformedRangesAreRefused() {
        for raw in ["bytes=-5", "bytes=5-", "bytes=7-3", "bytes=1-2,4-5", "items=0-1", "bytes=a-1", "bytes= 0-1", "bytes=0-99999999999999999999"] {
            let e = code(raw, size: 100)
            #expect(e?.code == "InvalidArgument", "\(raw)")
            #expect(e?.message.hasPrefix("The x-amz-copy-source-range value must be of the form") == true, "\(raw)")
        }
    }
}
