import Foundation

/// Opaque name of one stored blob (a file, by default). Never derived from a key.
public typealias BlobID = String

public struct BucketRecord: Sendable, Equatable {
    public var name: String
    public var created: Date
    public var region: String
    /// The name of the user whose key created it; nil for buckets made before owners, which are the default user's.
    public var ownerName: String?
    public init(name: String, created: Date, region: String, ownerName: String? = nil) {
        self.name = name; self.created = created; self.region = region; self.ownerName = ownerName
    }

    public var owner: User { User(name: ownerName ?? User.defaultName) }
}

/// Headers stored with an object and returned on GET/HEAD.
public struct ObjectAttributes: Sendable, Equatable, Codable {
    public var contentType: String?
    public var contentDisposition: String?
    public var contentEncoding: String?
    public var contentLanguage: String?
    public var cacheControl: String?
    public var expires: String?
    public var storageClass: String?
    /// x-amz-meta-* with the prefix removed, names lowercased, in request order.
    public var userMetadata: [String: String]
    /// x-amz-checksum-* values (algorithm name such as "CRC32" -> base64).
    public var checksums: [String: String]
    /// "COMPOSITE" or "FULL_OBJECT" when checksums were given.
    public var checksumType: String?
    /// The name of the user who wrote the object, when that is not the bucket's owner (who owns the rest).
    public var ownerName: String?
    /// Grants beside the owner's; nil is `private`.
    public var acl: AccessControlList?
    /// The version's tags (x-amz-tagging, PutObjectTagging), sorted by key bytes; nil when it has none.
    public var tags: [ObjectTag]?
    /// Object Lock retention of this version; nil when it has none.
    public var retention: ObjectRetention?
    /// Object Lock legal hold: true ON, false OFF (set and released); nil when never set.
    public var legalHold: Bool?
    /// How the body is sealed at rest (SSE), nil for a plain body. On an upload: the key its parts are sealed with.
    public var encryption: ObjectEncryption?

    public init(contentType: String? = nil, contentDisposition: String? = nil, contentEncoding: String? = nil,
                contentLanguage: String? = nil, cacheControl: String? = nil, expires: String? = nil,
                storageClass: String? = nil, userMetadata: [String: String] = [:], checksums: [String: String] = [:],
                checksumType: String? = nil, tags: [ObjectTag]? = nil,
                retention: ObjectRetention? = nil, legalHold: Bool? = nil, encryption: ObjectEncryption? = nil) {
        self.contentType = contentType; self.contentDisposition = contentDisposition
        self.contentEncoding = contentEncoding; self.contentLanguage = contentLanguage
        self.cacheControl = cacheControl; self.expires = expires; self.storageClass = storageClass
        self.userMetadata = userMetadata; self.checksums = checksums; self.checksumType = checksumType
        self.tags = tags; self.retention = retention; self.legalHold = legalHold
        self.encryption = encryption
    }
}

/// One contiguous piece of an object's body: a whole blob (a PUT body or one multipart part).
public struct Segment: Sendable, Equatable {
    public var blob: BlobID
    public var size: Int64
    /// Offset of this segment's first byte within the object.
    public var offset: Int64
    /// Set for objects made by CompleteMultipartUpload (GET ?partNumber=N).
    public var partNumber: Int?
    /// The part's checksum (base64) in the object's checksum algorithm, for multipart objects that have one.
    public var checksum: String?
    /// A small body kept in the metadata store itself (then `blob` is empty): no file to create,
    /// fsync and later delete, and it commits in the same transaction as the object.
    public var inline: [UInt8]?
    public init(blob: BlobID, size: Int64, offset: Int64, partNumber: Int? = nil, checksum: String? = nil, inline: [UInt8]? = nil) {
        self.blob = blob; self.size = size; self.offset = offset; self.partNumber = partNumber; self.checksum = checksum
        self.inline = inline
    }
}

public struct ObjectRecord: Sendable, Equatable {
    public var bucket: String
    public var key: String
    /// Identity of this version of the object; a new one on every write.
    public var version: Int64
    public var size: Int64
    /// Hex MD5, or MD5-of-MD5s "-N" for multipart; without quotes.
    public var etag: String
    public var lastModified: Date
    public var attributes: ObjectAttributes
    /// Number of parts when made by CompleteMultipartUpload, else nil.
    public var partsCount: Int?
    /// Whether S3 names this version by its own ID (written while the bucket's versioning was Enabled);
    /// false for the version S3 calls "null" (written while unversioned or Suspended). Set by the store.
    public var versioned: Bool
    /// A delete marker: a version with no body that makes its key read as deleted while it is the latest.
    public var isDeleteMarker: Bool

    public init(bucket: String, key: String, version: Int64, size: Int64, etag: String, lastModified: Date,
                attributes: ObjectAttributes, partsCount: Int?, versioned: Bool = false, isDeleteMarker: Bool = false) {
        self.bucket = bucket; self.key = key; self.version = version; self.size = size; self.etag = etag
        self.lastModified = lastModified; self.attributes = attributes; self.partsCount = partsCount
        self.versioned = versioned; self.isDeleteMarker = isDeleteMarker
    }

    /// The version ID S3 clients see: "null", or this version's own (see `VersionSelector`).
    public var versionID: String { versioned ? VersionSelector.version(version).id : VersionSelector.nullID }
}

public struct UploadRecord: Sendable, Equatable {
    public var uploadID: String
    public var bucket: String
    public var key: String
    public var initiated: Date
    public var attributes: ObjectAttributes
    /// x-amz-checksum-algorithm given at CreateMultipartUpload, if any.
    public var checksumAlgorithm: String?
    /// "COMPOSITE" or "FULL_OBJECT" (x-amz-checksum-type, or its default for the algorithm); nil without an algorithm.
    public var checksumType: String?
    public init(uploadID: String, bucket: String, key: String, initiated: Date, attributes: ObjectAttributes,
                checksumAlgorithm: String?, checksumType: String? = nil) {
        self.uploadID = uploadID; self.bucket = bucket; self.key = key; self.initiated = initiated
        self.attributes = attributes; self.checksumAlgorithm = checksumAlgorithm; self.checksumType = checksumType
    }
}

public struct PartRecord: Sendable, Equatable {
    public var partNumber: Int
    public var blob: BlobID
    public var size: Int64
    public var etag: String
    public var lastModified: Date
    public var checksums: [String: String]
    public init(partNumber: Int, blob: BlobID, size: Int64, etag: String, lastModified: Date, checksums: [String: String] = [:]) {
        self.partNumber = partNumber; self.blob = blob; self.size = size; self.etag = etag
        self.lastModified = lastModified; self.checksums = checksums
    }
}
