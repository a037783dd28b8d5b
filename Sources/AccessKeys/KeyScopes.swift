import StorageCore

/// Who may do what: the daemon's own key may do anything; keys made with `tessera keys` may be
/// limited to some buckets and to reads. Also the secrets the JSON front ends accept as bearer tokens.
package struct KeyScopes: Sendable {
    let mainAccessKey: String
    let mainSecretKey: String
    let file: AccessKeyFile?

    package init(mainAccessKey: String, mainSecretKey: String, file: AccessKeyFile?) {
        self.mainAccessKey = mainAccessKey
        self.mainSecretKey = mainSecretKey
        self.file = file
    }

    /// The secret for an access key (the verifier's credentials lookup).
    package func secret(for accessKey: String) -> String? {
        if accessKey == mainAccessKey { return mainSecretKey }
        return file?.key(id: accessKey)?.secretKey
    }

    /// Buckets a key is limited to; nil when it may use every bucket.
    package func buckets(of accessKey: String) -> [String]? {
        guard accessKey != mainAccessKey else { return nil }
        return file?.key(id: accessKey).map { $0.buckets } ?? []
    }

    /// Whether `accessKey` may do what an operation of this access kind on `bucket` does: a read-only
    /// key only reads; a key limited to buckets touches only those.
    package func check(_ accessKey: String, bucket: String?, access: AccessKind) throws {
        guard accessKey != mainAccessKey else { return }
        if access != .read && file?.key(id: accessKey)?.readOnly != false {
            throw CoreError("AccessDenied", "Access Denied: this access key is read-only")
        }
        guard let bucket, let allowed = buckets(of: accessKey), !allowed.contains(bucket) else { return }
        throw CoreError("AccessDenied", "Access Denied: this access key is limited to other buckets")
    }

    /// Bearer tokens for a JSON front end bound to `bucket`: its configured tokens, or the secret of
    /// any access key allowed on that bucket (read-only keys only for reads).
    package func acceptsToken(_ token: String, configured: Set<String>, bucket: String, write: Bool) -> Bool {
        if configured.contains(where: { constantTimeEqual($0, token) }) { return true }
        return (file?.keys() ?? []).contains {
            $0.allows(bucket: bucket) && (!write || !$0.readOnly) && constantTimeEqual($0.secretKey, token)
        }
    }
}
