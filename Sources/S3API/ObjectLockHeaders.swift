import Foundation
import StorageCore
import WireFormats

/// The Object Lock headers of a write (PutObject, CopyObject, CreateMultipartUpload, PostObject):
/// `x-amz-object-lock-mode` with `x-amz-object-lock-retain-until-date`, and `x-amz-object-lock-legal-hold`.
enum ObjectLockHeaders {
    static let mode = "x-amz-object-lock-mode"
    static let retainUntil = "x-amz-object-lock-retain-until-date"
    static let legalHold = "x-amz-object-lock-legal-hold"
    static let bypassGovernance = "x-amz-bypass-governance-retention"

    static let missingConfiguration = CoreError("InvalidRequest", "Bucket is missing Object Lock Configuration")

    /// Sets the new version's retention and legal hold the headers ask for. Without a retention here the
    /// core gives the version the bucket's default retention when it makes it (`BucketObjectLock.newVersion`,
    /// counted from the version's creation: for a multipart object its completion). Lock headers on a
    /// bucket without Object Lock are InvalidRequest, as S3 answers; a mode without a date (or the
    /// reverse), an unknown mode or hold status, or a date not in the future are InvalidArgument. Returns
    /// whether the version gets any lock setting, its own or the default (S3 then wants a digest).
    @discardableResult
    static func apply(_ value: (String) -> String?, to attributes: inout ObjectAttributes, bucketLock: BucketObjectLock?,
                      now: Date = Date()) throws -> Bool {
        attributes.retention = nil
        attributes.legalHold = nil
        let (modeText, untilText, holdText) = (value(mode), value(retainUntil), value(legalHold))
        if modeText == nil && untilText == nil && holdText == nil {
            return bucketLock?.defaultRetention != nil
        }
        guard bucketLock != nil else { throw missingConfiguration }
        switch (modeText, untilText) {
        case (nil, nil): break
        case (let m?, let u?):
            guard let parsedMode = ObjectRetention.Mode(rawValue: m) else {
                throw CoreError.invalidArgument("Unknown wormMode directive.", name: mode, value: m)
            }
            attributes.retention = ObjectRetention(mode: parsedMode, retainUntil: try date(u, name: retainUntil, now: now))
        default:
            throw CoreError.invalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
        }
        if let holdText {
            switch holdText {
            case "ON": attributes.legalHold = true
            case "OFF": attributes.legalHold = false
            default: throw CoreError.invalidArgument("Legal Hold must be either of 'ON' or 'OFF'", name: legalHold, value: holdText)
            }
        }
        return true
    }

    /// A retain-until date (RFC 3339, as the SDKs send it) that lies in the future.
    static func date(_ text: String, name: String, now: Date) throws -> Date {
        guard let seconds = ISO8601Time.parse(text) else {
            throw CoreError.invalidArgument("The retain until date is not a valid date.", name: name, value: text)
        }
        let date = Date(timeIntervalSince1970: seconds)
        guard date > now else { throw CoreError.invalidArgument("The retain until date must be in the future!", name: name, value: text) }
        return date
    }

    /// S3's rule for a write with Object Lock parameters (its own, or the bucket's default retention):
    /// Content-MD5 or an x-amz-checksum-* (header, or aws-chunked trailer) must protect the body; else
    /// InvalidRequest with S3's message naming the operation ("Put Object", "Put Part"). A signed payload
    /// hash (x-amz-content-sha256) is not enough, as in S3.
    static func requireDigest(_ s3: S3Request, operation: String = "Put Object") throws {
        guard !hasDigest(s3) else { return }
        throw CoreError("InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for \(operation) requests with Object Lock parameters")
    }

    /// Whether the request carries Content-MD5 or an x-amz-checksum-* value (header or announced trailer).
    static func hasDigest(_ s3: S3Request) -> Bool {
        if s3.header("content-md5") != nil { return true }
        if s3.headers.contains(where: { f in
            let name = f.name.canonicalName
            return name.hasPrefix("x-amz-checksum-") && name != "x-amz-checksum-mode" && name != "x-amz-checksum-type"
                && name != "x-amz-checksum-algorithm"
        }) { return true }
        if let trailer = s3.header("x-amz-trailer"), trailer.lowercased().contains("x-amz-checksum-") { return true }
        return false
    }

    /// UploadPart's form of the rule: a part of an upload that set retention or a legal hold, or into a
    /// bucket with a default retention, needs a digest. The bucket's configuration is read only when the
    /// part carries none.
    static func requirePartDigest(_ s3: S3Request, upload: UploadRecord, bucketLock: () async throws -> BucketObjectLock?) async throws {
        guard !hasDigest(s3) else { return }
        let own = upload.attributes.retention != nil || upload.attributes.legalHold != nil
        if !own {
            guard try await bucketLock()?.defaultRetention != nil else { return }
        }
        try requireDigest(s3, operation: "Put Part")
    }
}
