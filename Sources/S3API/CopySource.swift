import GatewayHTTP
import StorageCore

/// CopyObject's and UploadPartCopy's `x-amz-copy-source`: the source bucket, key and version.
enum CopySource {
    /// Parses x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded, optional ?versionId). Split by bytes:
    /// a "/" or "?" followed by a combining mark is one Character, which a Character search would skip.
    static func parse(_ s3: S3Request) throws -> (bucket: String, key: String, version: VersionSelector?) {
        guard let header = s3.header("x-amz-copy-source") else { throw CoreError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey") }
        var raw = header.utf8[...]
        var version: VersionSelector?
        if let q = raw.firstIndex(of: UInt8(ascii: "?")) {
            // The only query a copy source takes is versionId.
            let query = raw[raw.index(after: q)...]
            guard query.starts(with: "versionId=".utf8) else {
                throw CoreError.invalidArgument("Invalid copy source: only versionId may follow the key", name: "x-amz-copy-source", value: header)
            }
            version = try VersionID.parse(try PercentDecoding.decode(utf8: query.dropFirst("versionId=".utf8.count)), name: "x-amz-copy-source")
            raw = raw[..<q]
        }
        let decoded = try PercentDecoding.decode(utf8: raw)
        var path = decoded.utf8[...]
        if path.first == UInt8(ascii: "/") { path = path.dropFirst() }
        guard let slash = path.firstIndex(of: UInt8(ascii: "/")), slash != path.startIndex, path.index(after: slash) != path.endIndex else {
            throw CoreError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source",
                                            value: String(decoding: raw, as: UTF8.self))
        }
        return (String(decoding: path[..<slash], as: UTF8.self), String(decoding: path[path.index(after: slash)...], as: UTF8.self), version)
    }
}
