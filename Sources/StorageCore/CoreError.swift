/// The storage core's failures, named by their S3 error code.
///
/// S3's error vocabulary is what every front end speaks (the JSON front ends map it to their own
/// shapes), so the core uses it directly. The HTTP status belongs to the front end.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// Extra elements S3 puts in its error document (e.g. PartNumber, ETag, BucketName).
    public var details: [Detail]
    /// A write whose commit was sent to the metadata store but whose answer was lost (a timeout or a
    /// connection that died during COMMIT): it may have taken effect, so what it would have referenced
    /// must be kept. Never part of the response.
    public var outcomeUnknown = false
    /// HTTP headers S3 sends with this error (e.g. x-amz-delete-marker on a key that reads as deleted).
    public var headers: [Detail] = []

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
    /// A key whose latest version is `marker`, a delete marker (GET and HEAD without a version ID).
    public static func noSuchKey(_ key: String, deleteMarker marker: ObjectRecord) -> CoreError {
        var e = noSuchKey(key)
        e.headers = [.init("x-amz-delete-marker", "true"), .init("x-amz-version-id", marker.versionID)]
        return e
    }
    public static func noSuchVersion(_ key: String, _ version: VersionSelector) -> CoreError {
        CoreError("NoSuchVersion", "The specified version does not exist.", details: [.init("Key", key), .init("VersionId", version.id)])
    }
    /// GET or HEAD of a delete marker by its version ID (S3's 405), or another `method` on it (PUT ?tagging).
    public static func deleteMarkerRead(_ marker: ObjectRecord, method: String = "GET") -> CoreError {
        var e = CoreError("MethodNotAllowed", "The specified method is not allowed against this resource.",
                          details: [.init("Method", method), .init("ResourceType", "DeleteMarker")])
        e.headers = [.init("x-amz-delete-marker", "true"), .init("x-amz-version-id", marker.versionID)]
        return e
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
    /// The metadata store did not answer within its bound or could not be reached (S3's 503).
    public static func metadataUnavailable(outcomeUnknown: Bool = false) -> CoreError {
        var e = CoreError("ServiceUnavailable", "Service is unable to handle request: the metadata store is unavailable. Retry later.")
        e.outcomeUnknown = outcomeUnknown
        return e
    }
    public static let storeFull = CoreError("InternalError", "The data store is full: no space left on the device. Free space and retry.")
}
