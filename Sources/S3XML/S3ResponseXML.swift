/// What an S3 client reads back: the response documents of the multipart calls and of errors, parsed with the same
/// hardened reader as request bodies (a server is not trusted more than a client).
public enum S3ResponseXML {
    public struct Part: Sendable, Equatable {
        public var partNumber: Int
        public var etag: String
        public var size: Int64
    }

    public struct PartListing: Sendable {
        public var parts: [Part]
        public var isTruncated: Bool
        public var nextPartNumberMarker: Int?
    }

    public struct Upload: Sendable, Equatable {
        public var key: String
        public var uploadId: String
        public var initiated: String
    }

    public struct UploadListing: Sendable {
        public var uploads: [Upload]
        public var isTruncated: Bool
        public var nextKeyMarker: String?
        public var nextUploadIdMarker: String?
    }

    public struct ErrorDocument: Sendable, Equatable {
        public var code: String
        public var message: String
    }

    /// InitiateMultipartUploadResult → UploadId.
    public static func uploadId(_ body: [UInt8]) throws(S3XMLError) -> String {
        let root = try document(body, "InitiateMultipartUpload")
        guard let id = try root.child("UploadId").map({ e throws(S3XMLError) in try e.text() }), !id.isEmpty else {
            throw .malformed("no UploadId")
        }
        return id
    }

    public static func partListing(_ body: [UInt8]) throws(S3XMLError) -> PartListing {
        let root = try document(body, "ListParts")
        var parts: [Part] = []
        for p in root.children(named: "Part") {
            guard let number = try p.child("PartNumber").map({ e throws(S3XMLError) in try e.text() }).flatMap({ Int($0) }),
                  let etag = try p.child("ETag").map({ e throws(S3XMLError) in try e.text() }),
                  let size = try p.child("Size").map({ e throws(S3XMLError) in try e.text() }).flatMap({ Int64($0) })
            else { throw .malformed("a Part without PartNumber, ETag or Size") }
            parts.append(Part(partNumber: number, etag: etag, size: size))
        }
        return PartListing(parts: parts, isTruncated: try flag(root, "IsTruncated"),
                           nextPartNumberMarker: try text(root, "NextPartNumberMarker").flatMap { Int($0) })
    }

    public static func uploadListing(_ body: [UInt8]) throws(S3XMLError) -> UploadListing {
        let root = try document(body, "ListMultipartUploads")
        var uploads: [Upload] = []
        for u in root.children(named: "Upload") {
            guard let key = try u.child("Key").map({ e throws(S3XMLError) in try e.exactText() }),
                  let id = try u.child("UploadId").map({ e throws(S3XMLError) in try e.text() })
            else { throw .malformed("an Upload without Key or UploadId") }
            uploads.append(Upload(key: key, uploadId: id, initiated: try text(u, "Initiated") ?? ""))
        }
        return UploadListing(uploads: uploads, isTruncated: try flag(root, "IsTruncated"),
                             nextKeyMarker: try exact(root, "NextKeyMarker"), nextUploadIdMarker: try text(root, "NextUploadIdMarker"))
    }

    /// CompleteMultipartUploadResult → ETag (check for an Error document first: S3 can send one with 200 here).
    public static func completedETag(_ body: [UInt8]) throws(S3XMLError) -> String {
        let root = try document(body, "CompleteMultipartUpload")
        guard let etag = try text(root, "ETag") else { throw .malformed("no ETag") }
        return etag
    }

    public static func errorDocument(_ body: [UInt8]) throws(S3XMLError) -> ErrorDocument {
        let root = try SafeXMLParser.parse(body, root: "Error")
        return ErrorDocument(code: try text(root, "Code") ?? "", message: try text(root, "Message") ?? "")
    }

    /// The document answering `operation`: its root is `<operation>Result` as S3 names it, or `…Response` /
    /// `…Output` as some servers (moto) do; the SDKs do not look at the root's name either.
    private static func document(_ body: [UInt8], _ operation: String) throws(S3XMLError) -> ParsedElement {
        var last = S3XMLError.malformedXML
        for root in [operation + "Result", operation + "Response", operation + "Output"] {
            do {
                return try SafeXMLParser.parse(body, root: root)
            } catch {
                last = error
            }
        }
        throw last
    }

    private static func text(_ e: ParsedElement, _ name: String) throws(S3XMLError) -> String? {
        try e.child(name).map { c throws(S3XMLError) in try c.text() }
    }

    private static func exact(_ e: ParsedElement, _ name: String) throws(S3XMLError) -> String? {
        try e.child(name).map { c throws(S3XMLError) in try c.exactText() }
    }

    private static func flag(_ e: ParsedElement, _ name: String) throws(S3XMLError) -> Bool {
        try text(e, name) == "true"
    }
}
