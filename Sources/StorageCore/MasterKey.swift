import Crypto
import Foundation
import WireFormats

/// The gateway's master key (`--master-key-file`): it wraps each object's random data key (AES-GCM),
/// and is itself never stored by the gateway. The file holds 32 random bytes, base64-encoded, on one line.
public struct MasterKey: @unchecked Sendable {  // SymmetricKey is an immutable value
    let key: SymmetricKey
    /// A short name of the key (hex of a hash of it), stored with each object it wraps a key for.
    public let id: String

    /// The key in a master key file's text: base64 of exactly 32 bytes, surrounding whitespace allowed.
    public init(fileText: String) throws {
        let text = fileText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw MasterKeyError(message: "a master key file holds 32 random bytes in base64 on one line (openssl rand -base64 32)")
        }
        key = SymmetricKey(data: bytes)
        var hash = SHA256()
        hash.update(data: Array("tessera master key id".utf8))
        hash.update(data: bytes)
        id = Hex.encode(Array(hash.finalize().prefix(8)))
    }

    /// Reads the key from `path`; a missing, unreadable or malformed file throws, naming the path.
    public static func load(path: String) throws -> MasterKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MasterKeyError(message: "the master key file \(path) cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MasterKeyError(message: "the master key file \(path) is not text: it holds 32 random bytes in base64")
        }
        do {
            return try MasterKey(fileText: text)
        } catch let e as MasterKeyError {
            throw MasterKeyError(message: "the master key file \(path) is malformed: \(e.message)")
        }
    }

    static let wrapAAD = Array("tessera data key".utf8)

    /// A new random data key, and the record of it to keep with the object.
    public func newDataKey() throws -> (ObjectEncryption, ObjectCipher) {
        let dataKey = SymmetricKey(size: .bits256)
        return (ObjectEncryption(algorithm: ObjectEncryption.aes256, wrappedKey: try DataKeyWrap.wrap(dataKey, under: key, aad: Self.wrapAAD),
                                 masterKeyID: id),
                ObjectCipher(dataKey: dataKey))
    }

    /// The cipher of an object sealed under this master key. An object sealed under another key, or whose
    /// record is damaged, throws (InternalError, logged): it is never read as plaintext.
    public func cipher(for e: ObjectEncryption) throws -> ObjectCipher {
        guard e.masterKeyID == id else {
            throw CoreError.internalError("an object sealed under master key \(e.masterKeyID); this gateway has \(id)")
        }
        return ObjectCipher(dataKey: try DataKeyWrap.unwrap(e, under: key, aad: Self.wrapAAD, keyName: "master key \(id)"))
    }
}
