/// The storage core's failures, named by their S3 error code.
///
/// S3's error vocabulary is what every front end speaks (the JSON front ends map it to their own
/// shapes), so the core uses it directly. The HTTP status belongs to the front end.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// Extra elements S3 puts in its error document (e.g. PartNumber, ETag, BucketName).
    public var details: [Detail]

    public struct Detail: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(_ code: String, _ message: String, details: [Detail] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    public static func noSuchBucket(_ name: String) -> CoreError {
        CoreError("NoSuchBucket", "The specified bucket does not exist", details: [.init("BucketName", name)])
    }
    public static func noSuchKey(_ key: String) -> CoreError {
        CoreError("NoSuchKey", "The specified key does not exist.", details: [.init("Key", key)])
    }
    public static func noSuchUpload(_ id: String) -> CoreError {
        CoreError("NoSuchUpload", "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", details: [.init("UploadId", id)])
    }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> CoreError {
        var d: [Detail] = []
        if let name { d.append(.init("ArgumentName", name)) }
        if let value { d.append(.init("ArgumentValue", value)) }
        return CoreError("InvalidArgument", message, details: d)
    }
    public static func internalError(_ message: String) -> CoreError {
        CoreError("InternalError", "We encountered an internal error. Please try again. (\(message))")
    }
    public static let badDigest = CoreError("BadDigest", "The Content-MD5 or checksum value that you specified did not match what the server received.")
    public static let incompleteBody = CoreError("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
    public static let storeFull = CoreError("InternalError", "The data store is full: no space left on the device. Free space and retry.")
}
