import Foundation
import StorageCore

/// If-Match and If-None-Match on a write (PutObject, CopyObject's destination, CompleteMultipartUpload),
/// as S3 takes them: If-None-Match only as "*", If-Match as one ETag (quoted or not) or "*".
enum WriteConditionHeaders {
    /// nil when the request has neither header. If-None-Match other than "*" is NotImplemented, as S3 answers.
    static func parse(_ s3: S3Request) throws -> WriteCondition? {
        let ifMatch = s3.header("if-match")?.trimmingCharacters(in: .whitespaces)
        let ifNoneMatch = s3.header("if-none-match")?.trimmingCharacters(in: .whitespaces)
        guard ifMatch != nil || ifNoneMatch != nil else { return nil }
        if let ifNoneMatch, ifNoneMatch != "*" {
            throw CoreError("NotImplemented", "A header you provided implies functionality that is not implemented",
                            details: [.init("Header", "If-None-Match")])
        }
        if let ifMatch, ifMatch.isEmpty {
            throw CoreError.invalidArgument("If-Match cannot be empty", name: "If-Match", value: ifMatch)
        }
        return WriteCondition(ifMatch: ifMatch.map { $0 == "*" ? "*" : PartValidator.normalizeETag($0) }, ifNoneMatch: ifNoneMatch != nil)
    }
}
