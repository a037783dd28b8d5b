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

    /// Starts a background check of the keys file when the last is a second old (never waits): what
    /// every request does first, so that keys deleted or changed stop working within about a second.
    package func keepFresh() { file?.refreshInBackground(every: .seconds(1)) }

    /// Waits for a check of the keys file that starts now, off the event loop: after a request named a
    /// key (or a bearer token) that the keys in memory do not hold, so a key made a moment ago works.
    package func reload() async { await file?.refresh(since: .now) }

    /// The secret for an access key (the verifier's credentials lookup).
    package func secret(for accessKey: String) -> String? {
        if accessKey == mainAccessKey { return mainSecretKey }
        return file?.key(id: accessKey)?.secretKey
    }

    /// The user requests signed with `accessKey` act as: the default user for the daemon's own key.
    /// A key gone from the file since its signature was checked: AccessDenied.
    package func user(of accessKey: String) throws -> User {
        if accessKey == mainAccessKey { return .default }
        guard let key = file?.key(id: accessKey) else { throw CoreError("AccessDenied", "Access Denied") }
        return key.owner
    }

    /// Buckets a key is limited to; nil when it may use every bucket.
    package func buckets(of accessKey: String) -> [String]? {
        guard accessKey != mainAccessKey else { return nil }
        return file?.key(id: accessKey).map { $0.buckets } ?? []
    }

    /// Whether `accessKey` may do what an operation of this access kind on `bucket` does: a read-only
    /// key only reads; a key limited to buckets touches only those.
    package func check(_ accessKey: String, bucket: String?, access: AccessKind) throws {
        guard accessKey != mainAccessKey, access != .unauthenticated else { return }
        if access != .read && file?.key(id: accessKey)?.readOnly != false {
            throw CoreError("AccessDenied", "Access Denied: this access key is read-only")
        }
        guard let bucket, let allowed = buckets(of: accessKey), !allowed.contains(bucket) else { return }
        throw CoreError("AccessDenied", "Access Denied: this access key is limited to other buckets")
    }

    /// Bearer tokens for a JSON front end bound to `bucket`: its configured tokens, or the secret of
    /// any access key allowed on that bucket (read-only keys only for reads).
    package func acceptsToken(_ token: String, configured: Set<String>, bucket: String, write: Bool) async -> Bool {
        if configured.contains(where: { constantTimeEqual($0, token) }) { return true }
        guard let file else { return false }
        keepFresh()
        if keyAccepts(token, in: file, bucket: bucket, write: write) { return true }
        await reload()
        return keyAccepts(token, in: file, bucket: bucket, write: write)
    }

    private func keyAccepts(_ token: String, in file: AccessKeyFile, bucket: String, write: Bool) -> Bool {
        file.keys().contains {
            $0.allows(bucket: bucket) && (!write || !$0.readOnly) && constantTimeEqual($0.secretKey, token)
        }
    }
}
