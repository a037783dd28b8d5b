/// A conditional write's precondition on the key's current object (S3's If-Match and If-None-Match: *
/// on PutObject, CopyObject and CompleteMultipartUpload). Checked twice: when the request starts (a
/// failure is 412 PreconditionFailed, or 404 NoSuchKey for If-Match on a missing key), and again inside
/// the store's commit transaction, where a failure means a concurrent write won the race: 409
/// ConditionalRequestConflict, and nothing is written.
public struct WriteCondition: Sendable, Equatable {
    /// If-Match: the ETag (without quotes) the current object must have; "*": any current object.
    public var ifMatch: String?
    /// If-None-Match: *: the key must have no current object (a delete marker counts as none).
    public var ifNoneMatch: Bool

    public init(ifMatch: String? = nil, ifNoneMatch: Bool = false) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
    }

    /// Whether the condition holds over a current object with this ETag (nil: none).
    public func holds(currentETag: String?) -> Bool {
        if ifNoneMatch && currentETag != nil { return false }
        if let ifMatch {
            guard let currentETag else { return false }
            if ifMatch != "*" && ifMatch != currentETag { return false }
        }
        return true
    }

    /// The check when the request starts: 404 NoSuchKey for If-Match on a missing key, 412 otherwise.
    public func checkAtStart(currentETag: String?, key: String) throws {
        guard !holds(currentETag: currentETag) else { return }
        if ifMatch != nil && currentETag == nil { throw CoreError.noSuchKey(key) }
        throw CoreError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                        details: [.init("Condition", ifNoneMatch ? "If-None-Match" : "If-Match")])
    }

    /// The check in the commit transaction: a failure there is a concurrent write's doing.
    public func checkAtCommit(currentETag: String?) throws {
        guard !holds(currentETag: currentETag) else { return }
        throw CoreError("ConditionalRequestConflict", "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.")
    }
}
