import AccessKeys
import Crypto
import _CryptoExtras
import Foundation
import NIOCore
import StorageCore

/// Encryption at rest for password-protected files of the task API.
///
/// The password and a random per-file salt give a master key (PBKDF2-HMAC-SHA256); HKDF splits it into
/// the data key and a verifier key. Each chunk's plaintext is sealed by the shared `BlockCipher` (64 KiB
/// AES-GCM blocks), the additional data naming the chunk and block so blocks cannot be moved.
struct FileCipher: @unchecked Sendable {  // SymmetricKey is an immutable value
    static let blockSize = BlockCipher.blockSize
    static let overhead = BlockCipher.overhead
    /// OWASP's PBKDF2-HMAC-SHA256 floor (swift-crypto refuses fewer).
    static let rounds = 210_000
    let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// A new file's parameters and cipher for `password`.
    static func create(password: String) throws -> (FileEncryption, FileCipher) {
        var salt = [UInt8](repeating: 0, count: 16)
        var g = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &g) }
        let (cipher, verifier) = try derive(password: password, salt: salt, rounds: rounds)
        return (FileEncryption(salt: Data(salt).base64EncodedString(), verifier: verifier, rounds: rounds), cipher)
    }

    /// The cipher for `password` if it is the file's password, else nil.
    static func open(_ e: FileEncryption, password: String) throws -> FileCipher? {
        guard let salt = Data(base64Encoded: e.salt) else { return nil }
        let (cipher, verifier) = try derive(password: password, salt: Array(salt), rounds: e.rounds)
        return constantTimeEqual(verifier, e.verifier) ? cipher : nil
    }

    /// PBKDF2 takes ~0.1 s by design: run it off the cooperative threads.
    static func create(password: String) async throws -> (FileEncryption, FileCipher) {
        try await offloaded { try create(password: password) }
    }

    static func open(_ e: FileEncryption, password: String) async throws -> FileCipher? {
        try await offloaded { try open(e, password: password) }
    }

    private static func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async {
                do { cont.resume(returning: try work()) } catch { cont.resume(throwing: error) }
            }
        }
    }

    static func derive(password: String, salt: [UInt8], rounds: Int) throws -> (FileCipher, String) {
        let master = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                       outputByteCount: 32, rounds: max(rounds, Self.rounds))
        let dataKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("tessera file data".utf8), outputByteCount: 32)
        let verifyKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("tessera file verifier".utf8), outputByteCount: 32)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("tessera".utf8), using: verifyKey)
        return (FileCipher(key: dataKey), Data(mac).base64EncodedString())
    }

    /// Serialized data key, kept with an unfinished task (its chunks arrive without the password).
    var exported: String { key.withUnsafeBytes { Data($0).base64EncodedString() } }
    init?(exported: String) {
        guard let d = Data(base64Encoded: exported), d.count == 32 else { return nil }
        key = SymmetricKey(data: d)
    }

    /// Stored size of `plain` plaintext bytes.
    static func sealedSize(_ plain: Int64) -> Int64 { BlockCipher.sealedSize(plain) }

    var blocks: BlockCipher { BlockCipher(key: key) }

    func seal(_ block: some DataProtocol, chunk: Int, block index: Int) throws -> [UInt8] {
        try blocks.seal(block, authenticating: Self.aad(chunk, index))
    }

    func open(_ sealed: [UInt8], chunk: Int, block index: Int) throws -> [UInt8] {
        try blocks.open(sealed, authenticating: Self.aad(chunk, index))
    }

    static func aad(_ chunk: Int, _ block: Int) -> [UInt8] { Array("chunk \(chunk) block \(block)".utf8) }
}

extension SealingBody {
    /// A task chunk's plaintext sealed under the file's cipher, its blocks bound to the chunk.
    init(base: Base, cipher: FileCipher, chunk: Int, counter: ByteCounter) {
        self.init(base: base, cipher: cipher.blocks, counter: counter, aad: { FileCipher.aad(chunk, $0) })
    }
}
