/// One <Part> of a CompleteMultipartUpload body.
public struct CompletedPartEntry: Sendable, Equatable {
    /// As sent; the 1...10000 range and ascending order are the caller's checks
    /// (S3 answers InvalidArgument / InvalidPartOrder for those, not MalformedXML).
    public var partNumber: Int
    /// Surrounding quotes removed.
    public var etag: String
    /// Known per-part checksum elements present, keyed by element name,
    /// e.g. "ChecksumCRC32": "0rkF4Q==" (values not decoded).
    public var checksums: [String: String]

    public init(partNumber: Int, etag: String, checksums: [String: String] = [:]) {
        self.partNumber = partNumber
        self.etag = etag
        self.checksums = checksums
    }
}

extension S3RequestXML {
    static let maxParts = 10_000
    /// The per-part checksum elements S3 defines; other elements are ignored.
    static let partChecksumElements = [
        "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256",
    ]

    /// `<CompleteMultipartUpload><Part><PartNumber/><ETag/>[<ChecksumXXX/>]</Part>…`
    /// Parts are returned in document order. An empty list is MalformedXML, as in S3.
    public static func completeMultipartUpload(_ body: [UInt8]) throws(S3XMLError) -> [CompletedPartEntry] {
        let root = try SafeXMLParser.parse(body, root: "CompleteMultipartUpload")
        let partElements = root.children(named: "Part")
        guard !partElements.isEmpty else { throw .malformed("no <Part> elements") }
        guard partElements.count <= maxParts else { throw .malformed("more than \(maxParts) parts") }

        var parts: [CompletedPartEntry] = []
        parts.reserveCapacity(partElements.count)
        for part in partElements {
            guard let number = try part.child("PartNumber") else { throw .malformed("<Part> without <PartNumber>") }
            guard let etag = try part.child("ETag") else { throw .malformed("<Part> without <ETag>") }
            var checksums: [String: String] = [:]
            for name in partChecksumElements {
                if let element = try part.child(name) { checksums[name] = try element.text() }
            }
            parts.append(CompletedPartEntry(
                partNumber: try nonNegativeInteger(number.text(), field: "PartNumber"),
                etag: strippingQuotes(try etag.text()),
                checksums: checksums))
        }
        return parts
    }
}
