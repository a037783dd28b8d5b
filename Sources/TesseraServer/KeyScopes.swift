import StorageCore

/// Who may touch which bucket: the daemon's own key may do anything; keys made with `tessera keys`
/// may be limited to some buckets. Also the secrets the JSON front ends accept as bearer tokens.
struct KeyScopes: Sendable {
    let mainAccessKey: String
    let mainSecretKey: String
    let store: (any AccessKeyStore)?

    /// The secret for an access key (the verifier's credentials lookup).
    func secret(for accessKey: String) -> String? {
        if accessKey == mainAccessKey { return mainSecretKey }
        return (try? store?.key(id: accessKey))??.secretKey
    }

    /// Buckets a key is limited to; nil when it may use every bucket.
    func buckets(of accessKey: String) -> [String]? {
        guard accessKey != mainAccessKey else { return nil }
        guard let record = (try? store?.key(id: accessKey)) ?? nil else { return [] }
        return record.buckets
    }

    func check(_ accessKey: String, bucket: String?) throws {
        guard let bucket, let allowed = buckets(of: accessKey), !allowed.contains(bucket) else { return }
        throw CoreError("AccessDenied", "Access Denied: this access key is limited to other buckets")
    }

    /// Bearer tokens for a JSON front end bound to `bucket`: its configured tokens, or the secret of
    /// any access key allowed on that bucket.
    func acceptsToken(_ token: String, configured: Set<String>, bucket: String) -> Bool {
        if configured.contains(where: { constantTimeEqual($0, token) }) { return true }
        let keys = (try? store?.keys()) ?? []
        return keys.contains { $0.allows(bucket: bucket) && constantTimeEqual($0.secretKey, token) }
    }
}
