import Crypto
import Foundation
import WireFormats

/// The HMAC and hash primitives SigV4 is built from (all from swift-crypto).
enum Primitives {
    static func hmacSHA256<D: DataProtocol>(key: [UInt8], _ data: D) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    static func hmacSHA256(key: [UInt8], _ text: String) -> [UInt8] {
        hmacSHA256(key: key, Array(text.utf8))
    }

    static func hmacSHA1Base64(key: String, _ text: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return Data(mac).base64EncodedString()
    }

    static func sha256Hex(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
    static func deriveSigningKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        let kDate = hmacSHA256(key: Array(("AWS4" + secret).utf8), date)
        let kRegion = hmacSHA256(key: kDate, region)
        let kService = hmacSHA256(key: kRegion, service)
        return hmacSHA256(key: kService, "aws4_request")
    }
}

/// Derived signing keys change once a day per credential, while deriving one costs four HMACs, so
/// verifiers share them through this small cache. Each entry also keeps an HMAC already keyed with it
/// (SigV4), or with the secret (SigV2): keying one hashes two blocks, and a copy of a keyed HMAC starts
/// from that state (swift-crypto's digests copy their state on the first update of a shared one).
final class SigningKeyCache: @unchecked Sendable {
    private struct Key: Hashable {
        var secret: String
        var date: String
        var region: String
        var service: String
    }

    private struct Entry {
        var signingKey: [UInt8]
        var keyed: HMAC<SHA256>
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var sha1Keyed: [String: HMAC<Insecure.SHA1>] = [:]
    private let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        keyedSHA256(secret: secret, date: date, region: region, service: service).signingKey
    }

    /// The signing key, and an HMAC-SHA256 keyed with it, ready for the string to sign.
    func keyedSHA256(secret: String, date: String, region: String, service: String) -> (signingKey: [UInt8], mac: HMAC<SHA256>) {
        let key = Key(secret: secret, date: date, region: region, service: service)
        if let cached = lock.withLock({ entries[key] }) { return (cached.signingKey, cached.keyed) }
        let derived = Primitives.deriveSigningKey(secret: secret, date: date, region: region, service: service)
        let entry = Entry(signingKey: derived, keyed: HMAC<SHA256>(key: SymmetricKey(data: derived)))
        lock.withLock {
            // Entries expire with the day anyway; dropping them all keeps this bounded and simple.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
        return (derived, entry.keyed)
    }

    /// An HMAC-SHA1 keyed with `secret` (SigV2 signs with the secret itself).
    func keyedSHA1(secret: String) -> HMAC<Insecure.SHA1> {
        if let cached = lock.withLock({ sha1Keyed[secret] }) { return cached }
        let mac = HMAC<Insecure.SHA1>(key: SymmetricKey(data: Array(secret.utf8)))
        lock.withLock {
            if sha1Keyed.count >= capacity { sha1Keyed.removeAll(keepingCapacity: true) }
            sha1Keyed[secret] = mac
        }
        return mac
    }
}
