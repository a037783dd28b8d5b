import Foundation

/// State of the task-based chunk upload API (seed 003), kept in the metadata store so tasks and
/// files survive a restart. A task is a multipart upload whose chunks are its parts; a file is a
/// completed object plus what the API reports about it.

/// Encryption parameters of one file: the password-derived key is never stored, only a salt and a
/// verifier that tells a right password from a wrong one.
public struct FileEncryption: Codable, Sendable, Equatable {
    public var salt: String       // base64
    public var verifier: String   // base64 HMAC of a fixed label under the derived key
    public var rounds: Int
    public init(salt: String, verifier: String, rounds: Int) { self.salt = salt; self.verifier = verifier; self.rounds = rounds }
}

public struct UploadTask: Codable, Sendable, Equatable {
    public var id: String
    public var uploadID: String
    public var bucket: String
    public var key: String
    public var fileID: String
    public var hash: String
    public var fileName: String
    public var fileSize: Int64
    public var contentType: String?
    public var poolID: String?
    public var bundleID: String?
    public var expiredAt: String?
    public var chunkSize: Int64
    public var chunksCount: Int
    public var created: Date
    public var encryption: FileEncryption?
    /// The derived file key while chunks are being uploaded (chunks carry no password); removed with the task.
    public var pendingKey: String?

    public init(id: String, uploadID: String, bucket: String, key: String, fileID: String, hash: String, fileName: String,
                fileSize: Int64, contentType: String?, poolID: String?, bundleID: String?, expiredAt: String?, chunkSize: Int64,
                chunksCount: Int, created: Date, encryption: FileEncryption?, pendingKey: String?) {
        self.id = id; self.uploadID = uploadID; self.bucket = bucket; self.key = key; self.fileID = fileID; self.hash = hash
        self.fileName = fileName; self.fileSize = fileSize; self.contentType = contentType; self.poolID = poolID
        self.bundleID = bundleID; self.expiredAt = expiredAt; self.chunkSize = chunkSize; self.chunksCount = chunksCount
        self.created = created; self.encryption = encryption; self.pendingKey = pendingKey
    }
}

public struct StoredFile: Codable, Sendable, Equatable {
    public var id: String
    public var bucket: String
    public var key: String
    public var name: String
    public var size: Int64
    /// The hash the client gave (MD5 or SHA-256 hex), and both digests of the plaintext.
    public var hash: String
    public var md5: String
    public var sha256: String
    public var mimeType: String?
    public var poolID: String?
    public var bundleID: String?
    public var expiredAt: String?
    public var expiresAt: Date?
    public var createdAt: Date
    /// Plaintext bytes per chunk: the layout of encrypted blocks depends on it.
    public var chunkSize: Int64
    public var encryption: FileEncryption?

    public init(id: String, bucket: String, key: String, name: String, size: Int64, hash: String, md5: String, sha256: String,
                mimeType: String?, poolID: String?, bundleID: String?, expiredAt: String?, expiresAt: Date?, createdAt: Date,
                chunkSize: Int64, encryption: FileEncryption?) {
        self.id = id; self.bucket = bucket; self.key = key; self.name = name; self.size = size; self.hash = hash; self.md5 = md5
        self.sha256 = sha256; self.mimeType = mimeType; self.poolID = poolID; self.bundleID = bundleID; self.expiredAt = expiredAt
        self.expiresAt = expiresAt; self.createdAt = createdAt; self.chunkSize = chunkSize; self.encryption = encryption
    }
}

/// Durable tasks and files, one transaction per call; async and non-blocking like `MetadataStore`.
public protocol TaskStore: Sendable {
    func putTask(_ task: UploadTask) async throws
    func task(id: String) async throws -> UploadTask?
    func deleteTask(id: String) async throws
    func putFile(_ file: StoredFile) async throws
    func file(id: String) async throws -> StoredFile?
    /// Files whose MD5 or SHA-256 is `hash`.
    func files(hash: String) async throws -> [StoredFile]
    func deleteFile(id: String) async throws
    func files(expiringBefore date: Date, limit: Int) async throws -> [StoredFile]
}
