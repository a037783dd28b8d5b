import StorageCore
import WireFormats

/// `x-amz-tagging` on PutObject, CreateMultipartUpload and CopyObject (REPLACE): the tag set as a URL
/// query, `k1=v1&k2=v2`, each side percent-encoded UTF-8 (`+` is a space, as in a form). A key without
/// `=` holds the empty value.
enum TaggingHeader {
    static let name = "x-amz-tagging"

    static let malformed = CoreError.invalidArgument(
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        name: name)

    /// The tags the request sets, validated for an object and sorted (`ObjectTag.validated`); nil when
    /// the header is absent or names none. A bad escape, text that is not UTF-8, a pair with two `=` or a
    /// key named twice is InvalidArgument, as S3 answers; S3's tag rules are InvalidTag.
    static func tags(_ s3: S3Request) throws -> [ObjectTag]? {
        guard let raw = s3.header(name) else { return nil }
        let tags = try parse(raw)
        return try tags.isEmpty ? nil : ObjectTag.validated(tags, for: .object)
    }

    static func parse(_ raw: String) throws -> [ObjectTag] {
        var tags: [ObjectTag] = []
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let sides = pair.split(separator: UInt8(ascii: "="), maxSplits: 2, omittingEmptySubsequences: false)
            guard sides.count <= 2,
                  let key = PercentEncoding.decodeUTF8(sides[0], plusIsSpace: true),
                  let value = sides.count == 2 ? PercentEncoding.decodeUTF8(sides[1], plusIsSpace: true) : "" else {
                throw malformed
            }
            if tags.contains(where: { $0.key.utf8.elementsEqual(key.utf8) }) { throw malformed }
            tags.append(ObjectTag(key: key, value: value))
        }
        return tags
    }
}
