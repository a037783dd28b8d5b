import StorageCore

/// CopyObject's and UploadPartCopy's `x-amz-copy-source`: the source bucket, key and version.
enum CopySource {
    /// Parses x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded, optional ?versionId).
    static func parse(_ s3: S3Request) throws -> (bucket: String, key: String, version: VersionSelector?) {
        guard var raw = s3.header("x-amz-copy-source") else { throw CoreError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey") }
        var version: VersionSelector?
        if let q = raw.firstIndex(of: "?") {
            // The only query a copy source takes is versionId.
            let query = raw[raw.index(after: q)...]
            guard query.hasPrefix("versionId=") else {
                throw CoreError.invalidArgument("Invalid copy source: only versionId may follow the key", name: "x-amz-copy-source", value: raw)
            }
            version = try VersionID.parse(try PercentDecoding.decode(query.dropFirst("versionId=".count)), name: "x-amz-copy-source")
            raw = String(raw[..<q])
        }
        let decoded = try PercentDecoding.decode(Substring(raw))
        let path = decoded.hasPrefix("/") ? decoded.dropFirst() : Substring(decoded)
        guard let slash = path.firstIndex(of: "/"), slash != path.startIndex, path.index(after: slash) != path.endIndex else {
            throw CoreError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: raw)
        }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]), version)
    }
}
