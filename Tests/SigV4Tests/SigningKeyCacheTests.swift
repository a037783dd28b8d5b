import Crypto
import Foundation
import Testing

@testable import SigV4

/// The cache hands out HMACs already keyed; each caller's copy must start from the keyed state, whatever
/// earlier copies did with theirs.
struct SigningKeyCacheTests {
    let cache = SigningKeyCache()

    @Test func aKeyedSHA256CopyMatchesAFreshHMACEveryTime() {
        let key = Primitives.deriveSigningKey(secret: "s3cr3t", date: "20261207", region: "us-east-1", service: "s3")
        for text in ["first string to sign", "second", "", "first string to sign"] {
            var (signingKey, mac) = cache.keyedSHA256(secret: "s3cr3t", date: "20261207", region: "us-east-1", service: "s3")
            #expect(signingKey == key)
            mac.update(data: Array(text.utf8))
            let fresh = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))
            #expect(Array(mac.finalize()) == Array(fresh))
        }
        #expect(cache.signingKey(secret: "s3cr3t", date: "20261207", region: "us-east-1", service: "s3") == key)
        #expect(cache.signingKey(secret: "s3cr3t", date: "20261208", region: "us-east-1", service: "s3") != key)
    }

    @Test func aKeyedSHA1CopyMatchesAFreshHMACEveryTime() {
        for (secret, text) in [("a", "GET\n\n\n123\n/b/k"), ("b", "PUT"), ("a", "GET\n\n\n123\n/b/k"), ("a", "other")] {
            var mac = cache.keyedSHA1(secret: secret)
            mac.update(data: Array(text.utf8))
            let fresh = HMAC<Insecure.SHA1>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            #expect(Array(mac.finalize()) == Array(fresh))
        }
    }
}
