import HTTPTypes
import S3XML
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
        try await newObjectKey(requested: requested, bucketDefault: { try await bucketDefaultEncryption(bucket) })
    }

    /// As above, with the bucket's default encryption from `bucketDefault` (asked only when the request names none).
    func newObjectKey(requested: String?, bucketDefault: () async throws -> ServerSideEncryptionConfiguration?) async throws
        -> (encryption: ObjectEncryption, cipher: ObjectCipher)? {
        var wanted = try Self.requestsSSES3(requested)
        if !wanted { wanted = try await bucketDefault() != nil }
        guard wanted else { return nil }
        guard let masterKey else { throw Self.noMasterKey }
        let (encryption, cipher) = try masterKey.newDataKey()
        return (encryption, cipher)
    }

    /// A new object's sealing from the request: SSE-C when it names a customer key (x-amz-server-side-encryption
    /// beside it is InvalidArgument), else as `newObjectKey(requested:bucket:)`.
    func newObjectKey(_ s3: S3Request, bucket: String) async throws -> (encryption: ObjectEncryption, cipher: ObjectCipher)? {
        try await newObjectKey(s3, bucketDefault: { try await bucketDefaultEncryption(bucket) })
    }

    /// As above, with the bucket's default encryption from `bucketDefault` (asked only when it decides).
    func newObjectKey(_ s3: S3Request, bucketDefault: () async throws -> ServerSideEncryptionConfiguration?) async throws
        -> (encryption: ObjectEncryption, cipher: ObjectCipher)? {
        if let customer = try customerKey(s3) {
            if s3.header("x-amz-server-side-encryption") != nil {
                throw CoreError.invalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                                                name: "x-amz-server-side-encryption", value: s3.header("x-amz-server-side-encryption"))
            }
            let (encryption, cipher) = try customer.key.newDataKey()
            return (encryption, cipher)
        }
        return try await newObjectKey(requested: s3.header("x-amz-server-side-encryption"), bucketDefault: bucketDefault)
    }

    /// The customer key the request names (`copySource`: for the copy source), nil when none. SSE-C over
    /// plain HTTP is refused (400 InvalidRequest, as S3) unless `--allow-insecure-sse-c`.
    func customerKey(_ s3: S3Request, copySource: Bool = false) throws -> CustomerKeyHeaders? {
        let prefix = copySource ? CustomerKeyHeaders.copySourcePrefix : CustomerKeyHeaders.prefix
        guard let found = try CustomerKeyHeaders.parse({ s3.header($0) }, prefix: prefix) else { return nil }
        guard secureTransport || allowInsecureSSEC else {
            throw CoreError("InvalidRequest", "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
        }
        return found
    }

    /// The cipher a stored object (or upload) is read or continued with; nil for a plain one. An SSE-C object
    /// needs its key (`customer`): none is 400 InvalidRequest, another key 403 AccessDenied; a customer key
    /// for an object not sealed with one is 400 InvalidRequest, as S3 answers.
    func cipher(for encryption: ObjectEncryption?, customer: CustomerKeyHeaders?) throws -> ObjectCipher? {
        let notApplicable = CoreError("InvalidRequest", "The encryption parameters are not applicable to this object.")
        guard let encryption else {
            if customer != nil { throw notApplicable }
            return nil
        }
        if encryption.isCustomerKey {
            guard let customer else {
                throw CoreError("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
            }
            guard customer.key.matches(encryption) else { throw CoreError("AccessDenied", "Access Denied") }
            return try customer.key.cipher(for: encryption)
        }
        if customer != nil { throw notApplicable }
        guard let masterKey else { throw Self.noMasterKey }
        return try masterKey.cipher(for: encryption)
    }

    static let customerAlgorithmHeader = HTTPField.Name("x-amz-server-side-encryption-customer-algorithm")!
    static let customerKeyMD5Header = HTTPField.Name("x-amz-server-side-encryption-customer-key-MD5")!

    /// x-amz-server-side-encryption for SSE-S3; for SSE-C the customer algorithm and, when the request sent it, the key's MD5.
    static func addEncryption(_ encryption: ObjectEncryption?, customer: CustomerKeyHeaders? = nil, to headers: inout HTTPFields) {
        guard let encryption else { return }
        if encryption.isCustomerKey {
            headers[customerAlgorithmHeader] = encryption.algorithm
            if let customer { headers[customerKeyMD5Header] = customer.keyMD5 }
        } else {
            headers[sseHeader] = encryption.algorithm
        }
    }
}
