import HTTPTypes
import StorageCore

/// SSE-S3 in the front end: which writes seal their body (x-amz-server-side-encryption: AES256, or the
/// bucket's default encryption), the data key each new object or upload gets (wrapped under the
/// gateway's master key), the cipher a stored object is read with, and the response header saying so.
/// Without a master key, a request that needs one is refused: never written or read in the clear.
extension S3Service {
    static let sseHeader = HTTPField.Name("x-amz-server-side-encryption")!

    /// Whether x-amz-server-side-encryption (or a form field of that name) asks for SSE-S3: true for
    /// AES256, false when absent; SSE-KMS is NotImplemented, anything else InvalidArgument.
    static func requestsSSES3(_ value: String?, name: String = "x-amz-server-side-encryption") throws -> Bool {
        guard let value else { return false }
        switch value {
        case ObjectEncryption.aes256: return true
        case "aws:kms", "aws:kms:dsse":
            throw CoreError("NotImplemented", "SSE-KMS is not supported by this gateway: use AES256 (SSE-S3).")
        default:
            throw CoreError.invalidArgument("The encryption method specified is not supported", name: name, value: value)
        }
    }

    static let noMasterKey = CoreError("NotImplemented",
                                       "Server side encryption specified but this gateway has no master key (--master-key-file).")

    /// The sealing of a new object or upload in `bucket`: a new data key when the request asks for SSE-S3
    /// (`requested`, the header's value) or the bucket's default encryption does; nil otherwise.
    func newObjectKey(requested: String?, bucket: String) async throws -> (encryption: ObjectEncryption, cipher: ObjectCipher)? {
        var wanted = try Self.requestsSSES3(requested)
        if !wanted { wanted = try await bucketDefaultEncryption(bucket) != nil }
        guard wanted else { return nil }
        guard let masterKey else { throw Self.noMasterKey }
        let (encryption, cipher) = try masterKey.newDataKey()
        return (encryption, cipher)
    }

    func newObjectKey(_ s3: S3Request, bucket: String) async throws -> (encryption: ObjectEncryption, cipher: ObjectCipher)? {
        try await newObjectKey(requested: s3.header("x-amz-server-side-encryption"), bucket: bucket)
    }

    /// The cipher a stored object (or upload) is read or continued with; nil for a plain one.
    func cipher(for encryption: ObjectEncryption?) throws -> ObjectCipher? {
        guard let encryption else { return nil }
        guard let masterKey else { throw Self.noMasterKey }
        return try masterKey.cipher(for: encryption)
    }

    /// SSE-C (customer keys) is not served yet: a request naming a customer key is refused (NotImplemented)
    /// rather than its body written in the clear or a sealed object read without the key.
    static func refuseCustomerKeys(_ s3: S3Request) throws {
        for name in ["x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key",
                     "x-amz-copy-source-server-side-encryption-customer-algorithm", "x-amz-copy-source-server-side-encryption-customer-key"]
            where s3.header(name) != nil {
            throw CoreError("NotImplemented", "Server side encryption with customer-provided keys (SSE-C) is not supported by this gateway.")
        }
    }

    static func addEncryption(_ encryption: ObjectEncryption?, to headers: inout HTTPFields) {
        if let encryption { headers[sseHeader] = encryption.algorithm }
    }
}
