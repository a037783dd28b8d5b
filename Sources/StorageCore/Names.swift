/// S3's naming rules for buckets and keys.
public enum Names {
    /// S3 general-purpose bucket naming rules: 3–63 chars of a-z 0-9 . -, starting and ending with
    /// a letter or digit, no "..", not an IPv4 address, none of the reserved prefixes/suffixes.
    public static func validateBucket(_ name: String) throws {
        let b = Array(name.utf8)
        func bad(_ why: String) -> CoreError {
            CoreError("InvalidBucketName", "The specified bucket is not valid. (\(why))", details: [.init("BucketName", name)])
        }
        guard (3...63).contains(b.count) else { throw bad("length must be 3 to 63") }
        let allowed: (UInt8) -> Bool = { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }
        guard b.allSatisfy(allowed) else { throw bad("only lowercase letters, digits, '.' and '-'") }
        let alnum: (UInt8) -> Bool = { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
        guard alnum(b.first!), alnum(b.last!) else { throw bad("must start and end with a letter or digit") }
        guard !name.contains(".."), !name.contains(".-"), !name.contains("-.") else { throw bad("adjacent periods or hyphens") }
        let parts = name.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) { throw bad("must not be an IP address") }
        for p in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(p) { throw bad("reserved prefix") }
        for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(s) { throw bad("reserved suffix") }
    }

    public static let maxKeyBytes = 1024

    /// Keys are any UTF-8 up to 1,024 bytes; they are stored as given and never become paths.
    public static func validateKey(_ key: String) throws {
        if key.isEmpty { throw CoreError.invalidArgument("Object key must not be empty") }
        if key.utf8.count > maxKeyBytes {
            throw CoreError("KeyTooLongError", "Your key is too long",
                            details: [.init("Size", String(key.utf8.count)), .init("MaxSizeAllowed", String(maxKeyBytes))])
        }
    }
}
