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
    ///
    /// Read as libxml2 streams the elements (`SafeXMLParser.stream`): 10,000 parts are ~40,000 nodes,
    /// and building libxml2's tree and its Swift copy was most of the time. The result is the one
    /// `completeMultipartUploadFromTree` gives for every input (the tests and the xml fuzz target compare them).
    public static func completeMultipartUpload(_ body: [UInt8]) throws(S3XMLError) -> [CompletedPartEntry] {
        let reader = CompletedPartsReader()
        try SafeXMLParser.stream(body, to: reader)
        return try reader.finish()
    }

    /// The same document read from the tree `SafeXMLParser.parse` copies: the reference for the streamed reading.
    static func completeMultipartUploadFromTree(_ body: [UInt8]) throws(S3XMLError) -> [CompletedPartEntry] {
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

/// Collects the parts while the document streams by, under the rules the tree reading applies: the root
/// must be <CompleteMultipartUpload>; its <Part> children (at most `maxParts`) each need one <PartNumber>
/// and one <ETag> and may have one of each checksum element, all holding text only (trimmed); anything
/// else is ignored.
final class CompletedPartsReader: XMLStreamHandler {
    /// The elements read in a <Part>: PartNumber, ETag, then `partChecksumElements` in order.
    private static let fieldNames: [[UInt8]] = [Array("PartNumber".utf8), Array("ETag".utf8)]
        + S3RequestXML.partChecksumElements.map { Array($0.utf8) }

    private var parts: [CompletedPartEntry] = []
    private var sawRoot = false
    private var partCount = 0
    /// A <Part> (depth 2) is open.
    private var inPart = false
    /// The current part's field texts, by `fieldNames` index (the ETag's without its quotes).
    private var fields: [String?] = Array(repeating: nil, count: fieldNames.count)
    /// The field element open at depth 3, if any; its text so far, and whether it has child elements.
    private var field: Int?
    private var text: [UInt8] = []
    private var fieldHasElements = false

    private static let rootName = Array("CompleteMultipartUpload".utf8)
    private static let partName = Array("Part".utf8)

    private static func same(_ name: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Bool {
        guard name.count == expected.count else { return false }
        for i in 0..<name.count where name[i] != expected[i] { return false }
        return true
    }

    private func fieldName(_ i: Int) -> String { String(decoding: Self.fieldNames[i], as: UTF8.self) }

    func start(_ name: UnsafeBufferPointer<UInt8>, depth: Int) throws(S3XMLError) {
        switch depth {
        case 1:
            guard Self.same(name, Self.rootName) else { throw .malformed("root element is not <CompleteMultipartUpload>") }
            sawRoot = true
        case 2:
            inPart = Self.same(name, Self.partName)
            guard inPart else { return }
            partCount += 1
            guard partCount <= S3RequestXML.maxParts else { throw .malformed("more than \(S3RequestXML.maxParts) parts") }
            for i in fields.indices { fields[i] = nil }
        case 3 where inPart:
            field = Self.fieldNames.firstIndex { Self.same(name, $0) }
            guard let f = field else { return }
            guard fields[f] == nil else { throw .malformed("<\(fieldName(f))> repeated in <Part>") }
            text.removeAll(keepingCapacity: true)
            fieldHasElements = false
        case 4 where field != nil:
            fieldHasElements = true
        default:
            break
        }
    }

    func text(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) {
        if depth == 3 && field != nil { text.append(contentsOf: bytes) }
    }

    func end(depth: Int) throws(S3XMLError) {
        switch depth {
        case 3 where field != nil:
            let f = field!
            field = nil
            guard !fieldHasElements else { throw .malformed("<\(fieldName(f))> must hold text, not elements") }
            // trimmingXMLWhitespace() on the bytes: its four characters are single bytes that never occur
            // inside a multi-byte UTF-8 sequence.
            let isSpace = { (b: UInt8) in b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
            var first = text.firstIndex { !isSpace($0) } ?? text.endIndex
            var last = text.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? first
            guard f == 1 else {
                fields[f] = String(decoding: text[first..<last], as: UTF8.self)
                return
            }
            // The ETag, without its quotes: taken off the bytes when they are ASCII (where a quote is a
            // Character of its own), so that one String is made, not two; otherwise by `strippingQuotes`.
            if text[first..<last].allSatisfy({ $0 < 0x80 }) {
                if first < last && text[first] == UInt8(ascii: "\"") { first += 1 }
                if first < last && text[last - 1] == UInt8(ascii: "\"") { last -= 1 }
                fields[f] = String(decoding: text[first..<last], as: UTF8.self)
            } else {
                fields[f] = S3RequestXML.strippingQuotes(String(decoding: text[first..<last], as: UTF8.self))
            }
        case 2 where inPart:
            inPart = false
            guard let number = fields[0] else { throw .malformed("<Part> without <PartNumber>") }
            guard let etag = fields[1] else { throw .malformed("<Part> without <ETag>") }
            var checksums: [String: String] = [:]
            for i in 2..<fields.count {
                if let value = fields[i] { checksums[S3RequestXML.partChecksumElements[i - 2]] = value }
            }
            parts.append(CompletedPartEntry(partNumber: try S3RequestXML.nonNegativeInteger(number, field: "PartNumber"),
                                            etag: etag, checksums: checksums))
        default:
            break
        }
    }

    func finish() throws(S3XMLError) -> [CompletedPartEntry] {
        guard sawRoot else { throw .malformed("root element is not <CompleteMultipartUpload>") }
        guard partCount > 0 else { throw .malformed("no <Part> elements") }
        return parts
    }
}
