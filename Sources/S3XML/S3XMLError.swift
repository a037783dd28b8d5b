/// A request-body error, ready to be sent as an S3 error response.
public struct S3XMLError: Error, Sendable, Equatable {
    /// S3 error code, "MalformedXML" unless noted otherwise.
    public var code: String
    /// Client-facing message, S3's wording.
    public var message: String
    /// Why the body was rejected, for logs; not meant for the client and not
    /// part of equality.
    public var reason: String

    public init(code: String, message: String, reason: String = "") {
        self.code = code
        self.message = message
        self.reason = reason
    }

    public static func == (lhs: S3XMLError, rhs: S3XMLError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// S3's catch-all answer for unparsable or schema-invalid bodies.
    public static let malformedXML = S3XMLError(
        code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema")

    static func malformed(_ reason: String) -> S3XMLError {
        var error = malformedXML
        error.reason = reason
        return error
    }

    static func invalidArgument(_ message: String) -> S3XMLError {
        S3XMLError(code: "InvalidArgument", message: message, reason: message)
    }

    static func invalidRequest(_ message: String) -> S3XMLError {
        S3XMLError(code: "InvalidRequest", message: message, reason: message)
    }
}
