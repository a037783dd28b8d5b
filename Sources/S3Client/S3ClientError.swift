/// An S3 answer other than success: the HTTP status, and S3's error code and message when the body held them.
public struct S3ClientError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var status: Int
    public var code: String
    public var message: String

    public var description: String {
        "\(operation): HTTP \(status)\(code.isEmpty ? "" : " \(code)")\(message.isEmpty ? "" : ": \(message)")"
    }

    /// Worth trying again: the server was busy or failed, not the request.
    public var isRetryable: Bool { status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" }
}
