/// What an operation needs of its caller's credentials. Key scopes are checked against this, never
/// against the HTTP method.
package enum AccessKind: Sendable, Equatable {
    /// Reads objects or bucket contents.
    case read
    /// Changes objects or uploads.
    case write
    /// Creates, configures or deletes the bucket itself.
    case owner
    /// Answered before any credentials are read, to anyone (S3's CORS preflight, `OPTIONS`).
    case unauthenticated
}
