/// How an object's (or a multipart upload's) body is sealed at rest, kept in its attributes: the
/// cipher's parameters and its data key, wrapped under the gateway's master key. The data key itself
/// is never stored in the clear.
public struct ObjectEncryption: Sendable, Equatable, Codable {
    /// The x-amz-server-side-encryption value the object was written with: "AES256".
    public var algorithm: String
    /// The data key sealed with AES-GCM under the master key (`MasterKey.wrap`): base64 of nonce | ciphertext | tag.
    public var wrappedKey: String
    /// The master key's identifier (`MasterKey.id`), to name the key an object needs when it is not the one configured.
    public var masterKeyID: String
    /// Plaintext bytes per sealed block (`BlockCipher.blockSize` when written).
    public var blockSize: Int
    /// SSE-C: a random salt and the HMAC-SHA256 of the customer's key under it (base64), to recognize the key
    /// on later requests; the key itself is never stored. nil for SSE-S3.
    public var customerKeySalt: String?
    public var customerKeyMAC: String?

    /// Sealed under a customer-provided key (SSE-C), its data key wrapped under that key, not the master key.
    public var isCustomerKey: Bool { customerKeyMAC != nil }

    public init(algorithm: String, wrappedKey: String, masterKeyID: String, blockSize: Int = BlockCipher.blockSize) {
        self.algorithm = algorithm; self.wrappedKey = wrappedKey; self.masterKeyID = masterKeyID; self.blockSize = blockSize
    }

    public static let aes256 = "AES256"
    /// `masterKeyID` of an object sealed under a customer key.
    public static let customerKeyID = "customer"
}
