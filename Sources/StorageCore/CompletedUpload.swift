import Crypto
import Foundation
import WireFormats

/// What a successful CompleteMultipartUpload answered, kept after the upload itself is gone so that a
/// client whose first answer was lost, and which sends the same request again, gets the same answer
/// (S3 does so). Written in the completion's own transaction; dropped by the upload sweeper once older
/// than `Storage.completedUploadRetention`.
public struct CompletedUpload: Sendable, Equatable {
    public var uploadID: String
    public var bucket: String
    public var key: String
    /// `partListDigest` of the part list the completion was asked for: a retry must ask for the same.
    public var partListDigest: String
    public var etag: String
    public var checksums: [String: String]
    public var checksumType: String?
    /// The x-amz-version-id the completion answered: the version it made, when that has its own ID (an
    /// Enabled bucket); nil otherwise (and for completions recorded before this was kept).
    public var versionID: String?
    public var completed: Date

    public init(uploadID: String, bucket: String, key: String, partListDigest: String, etag: String,
                checksums: [String: String], checksumType: String?, versionID: String? = nil, completed: Date) {
        (self.uploadID, self.bucket, self.key, self.partListDigest) = (uploadID, bucket, key, partListDigest)
        (self.etag, self.checksums, self.checksumType, self.versionID, self.completed) = (etag, checksums, checksumType, versionID, completed)
    }

    /// The record of `object`, completed from upload `uploadID` with the part list digested as `partListDigest`.
    public init(uploadID: String, partListDigest: String, object: ObjectRecord) {
        self.init(uploadID: uploadID, bucket: object.bucket, key: object.key, partListDigest: partListDigest, etag: object.etag,
                  checksums: object.attributes.checksums, checksumType: object.attributes.checksumType,
                  versionID: object.versioned ? object.versionID : nil, completed: object.lastModified)
    }

    /// A stored version ID as this gateway writes them (16 lowercase hex digits), or nil when it is not one.
    public static func validVersionID(_ id: String) -> Bool {
        if case .version = VersionSelector(id: id) { return true }
        return false
    }

    /// SHA-256 (hex) of the requested parts in request order, each as its number and normalized ETag
    /// (quotes and surrounding blanks do not count, as at completion). Two lists digest alike only when
    /// they name the same parts with the same ETags in the same order.
    public static func partListDigest(_ parts: [(partNumber: Int, etag: String)]) -> String {
        // The lines side by side in one buffer, hashed once (10,000 interpolated Strings and SHA-256
        // updates took 2.4 ms); the bytes are the same, so digests stored before still match.
        var lines: [UInt8] = []
        lines.reserveCapacity(parts.count * 44)
        for p in parts {
            lines.append(contentsOf: String(p.partNumber).utf8)
            lines.append(UInt8(ascii: " "))
            PartValidator.appendNormalizedETag(p.etag, to: &lines)
            lines.append(UInt8(ascii: "\n"))
        }
        return Hex.encode(Array(SHA256.hash(data: lines)))
    }
}
