import Foundation

/// Who may use a JSON front end (the Worker API, the task API): its one bucket, the bearer tokens
/// configured for it, whether it is deliberately open to anonymous callers, and the access keys, whose
/// secrets also serve as tokens within their scopes (`KeyScopes.acceptsToken`).
package struct BearerAccess: Sendable {
    package let bucket: String
    /// Bearer tokens accepted; empty with `anonymous` opens the API deliberately.
    package let tokens: Set<String>
    package let anonymous: Bool
    package let scopes: KeyScopes

    package init(bucket: String, tokens: Set<String>, anonymous: Bool, scopes: KeyScopes) {
        (self.bucket, self.tokens, self.anonymous, self.scopes) = (bucket, tokens, anonymous, scopes)
    }

    /// Whether a request whose Authorization header is `authorization` may read the bucket (or write
    /// it, when `write`): anonymous front ends allow everything; others want `Bearer <token>`.
    package func allows(authorization: String?, write: Bool) async -> Bool {
        if anonymous { return true }
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return false }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        return await scopes.acceptsToken(token, configured: tokens, bucket: bucket, write: write)
    }
}
