/// One tag of an object version or a bucket: a key and its value. Compared as bytes (never by Swift's
/// canonical equivalence), as keys and metadata are.
public struct ObjectTag: Sendable, Codable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(key: String, value: String) { self.key = key; self.value = value }

    public var description: String { "\(key)=\(value)" }
}

extension ObjectTag: Equatable {
    public static func == (a: ObjectTag, b: ObjectTag) -> Bool {
        a.key.utf8.elementsEqual(b.key.utf8) && a.value.utf8.elementsEqual(b.value.utf8)
    }
}

extension ObjectTag {
    /// Who the tags are for: S3 allows 10 on an object version and 50 on a bucket.
    public enum Owner: Sendable {
        case object, bucket

        public var maxTags: Int { self == .object ? 10 : 50 }
    }

    /// S3's lengths, in UTF-16 code units ("Amazon S3 object tags are internally represented in UTF-16").
    public static let maxKeyLength = 128
    public static let maxValueLength = 256

    /// The tags as stored: checked against S3's rules and sorted by key bytes (S3 returns a set in key
    /// order). Too many tags on an object is `BadRequest` "Object tags cannot be greater than 10", the code
    /// and message S3 answers; every other fault is `InvalidTag` (400) with S3's message: an empty key, a key
    /// over 128 or a value over 256 characters, a character outside Unicode letters, numbers and spaces
    /// and `_ . : / = + - @`, the reserved `aws:` prefix, a key given twice (keys compared as bytes).
    public static func validated(_ tags: [ObjectTag], for owner: Owner) throws -> [ObjectTag] {
        if tags.count > owner.maxTags {
            switch owner {
            case .object: throw CoreError("BadRequest", "Object tags cannot be greater than \(owner.maxTags)")
            case .bucket: throw CoreError("InvalidTag", "Bucket tag count cannot be greater than \(owner.maxTags)")
            }
        }
        for tag in tags {
            guard !tag.key.isEmpty, tag.key.unicodeScalars.allSatisfy(isAllowed) else {
                throw invalidTag("The TagKey you have provided is invalid")
            }
            guard tag.key.utf16.count <= maxKeyLength else { throw invalidTag("The TagKey you have provided is too long, max \(maxKeyLength)") }
            guard tag.value.unicodeScalars.allSatisfy(isAllowed) else { throw invalidTag("The TagValue you have provided is invalid") }
            guard tag.value.utf16.count <= maxValueLength else {
                throw invalidTag("The TagValue you have provided is too long, max \(maxValueLength)")
            }
            if hasReservedPrefix(tag.key) {
                throw invalidTag(owner == .object ? "Your TagKey cannot be prefixed with aws:" : "System tags cannot be added/updated by requester")
            }
        }
        let sorted = tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.key.utf8.elementsEqual(b.key.utf8) {
            throw invalidTag("Cannot provide multiple Tags with the same key")
        }
        return sorted
    }

    static func invalidTag(_ message: String) -> CoreError { CoreError("InvalidTag", message) }

    /// `aws:` in any case: the prefix AWS keeps for its own tags.
    static func hasReservedPrefix(_ key: String) -> Bool {
        let head = Array(key.utf8.prefix(4))
        return head.count == 4 && head[0] | 0x20 == UInt8(ascii: "a") && head[1] | 0x20 == UInt8(ascii: "w")
            && head[2] | 0x20 == UInt8(ascii: "s") && head[3] == UInt8(ascii: ":")
    }

    /// Unicode letters, numbers and space separators, and `_ . : / = + - @` (S3's tag character set).
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "_", ".", ":", "/", "=", "+", "-", "@": return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber,
             .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return true
        default:
            return false
        }
    }
}
