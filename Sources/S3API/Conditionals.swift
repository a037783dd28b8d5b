import Foundation
import GatewayHTTP
import StorageCore

/// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, in RFC 7232's order (as S3 applies them).
enum Conditionals {
    /// - Parameters:
    ///   - prefix: "" for the object itself, "x-amz-copy-source-" for a copy source.
    ///   - forRead: a failed If-None-Match / If-Modified-Since is 304 on GET/HEAD, 412 otherwise.
    static func check(_ s3: S3Request, etag: String, lastModified: Date, forRead: Bool, prefix: String = "") throws {
        let modified = lastModified.timeIntervalSince1970.rounded(.down)
        // The list split and its tags compared as bytes (a "," before a combining mark still separates).
        func matches(_ list: String) -> Bool {
            list.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).contains { tag in
                let t = PartValidator.trimmingWhitespaces(String(decoding: tag, as: UTF8.self))
                return t.utf8.elementsEqual("*".utf8) || PartValidator.normalizeETag(t).utf8.elementsEqual(etag.utf8)
            }
        }
        let ifMatch = s3.header(prefix + "if-match")
        let ifNoneMatch = s3.header(prefix + "if-none-match")
        // Made only when thrown: most reads send no condition.
        func failed() -> CoreError {
            CoreError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                      details: [.init("Condition", prefix.isEmpty ? "If-Match" : "x-amz-copy-source-If-Match")])
        }
        func notModified() -> CoreError { forRead ? CoreError("NotModified", "Not Modified") : failed() }
        if let ifMatch {
            if !matches(ifMatch) { throw failed() }
        } else if let raw = s3.header(prefix + "if-unmodified-since"), let date = S3Time.parseHTTP(raw) {
            if modified > date.timeIntervalSince1970 { throw failed() }
        }
        if let ifNoneMatch {
            if matches(ifNoneMatch) { throw notModified() }
        } else if let raw = s3.header(prefix + "if-modified-since"), let date = S3Time.parseHTTP(raw) {
            if modified <= date.timeIntervalSince1970 { throw notModified() }
        }
    }
}
