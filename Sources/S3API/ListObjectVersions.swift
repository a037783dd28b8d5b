import Foundation
import GatewayHTTP
import Hummingbird
import S3XML
import StorageCore
import WireFormats

/// ListObjectVersions (GET /bucket?versions): every version (Version) and delete marker (DeleteMarker)
/// in S3's order, key ascending then newest first, with IsLatest; an unversioned bucket lists each
/// object once, as version "null". What the aws CLI, rclone `--s3-versions`, Terraform and test-suite
/// clean-up code call before they delete.
extension S3Service {
    func listObjectVersions(_ bucket: String, s3: S3Request) async throws -> Response {
        let listing = try ListingQuery(s3)
        let owner = try await authorizer.access(bucket).owner   // every entry's Owner, as in ListObjects
        let (prefix, delimiter) = (listing.prefix, listing.delimiter)
        let maxKeys = try queryInt(s3, "max-keys", default: 1000, range: 0...1000)
        let keyMarker = s3.query["key-marker"] ?? ""
        let versionMarker = s3.query["version-id-marker"] ?? ""
        var version: VersionSelector?
        if !versionMarker.isEmpty {
            guard !keyMarker.isEmpty else {
                throw CoreError.invalidArgument("A version-id marker cannot be specified without a key marker.",
                                                name: "version-id-marker", value: versionMarker)
            }
            version = try VersionID.parse(versionMarker, name: "version-id-marker")
        }
        let page = try await storage.listVersions(bucket: bucket, prefix: prefix, delimiter: delimiter,
                                                  keyMarker: keyMarker.isEmpty ? nil : keyMarker, versionMarker: version, maxKeys: maxKeys)
        let enc = listing.encode

        var w = XMLWriter(root: "ListVersionsResult")
        w.element("Name", bucket)
        w.element("Prefix", enc(prefix))
        w.element("KeyMarker", enc(keyMarker))
        w.element("VersionIdMarker", versionMarker)
        if page.isTruncated, let next = page.nextMarker {
            w.element("NextKeyMarker", enc(next))
            // A page that ends on a version resumes after it; one that ends on a common prefix, after the prefix.
            if let last = page.lastEntry, last.key == next { w.element("NextVersionIdMarker", last.versionID) }
        }
        w.element("MaxKeys", maxKeys)
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        if listing.urlEncode { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.isTruncated)
        // Versions and markers interleaved in listing order, as S3 sends them.
        for v in page.entries {
            w.group(v.isDeleteMarker ? "DeleteMarker" : "Version") { e in
                e.element("Key", enc(v.key))
                e.element("VersionId", v.versionID)
                e.element("IsLatest", v.isLatest)
                e.element("LastModified", S3Time.iso8601(v.lastModified))
                if !v.isDeleteMarker {
                    e.element("ETag", "\"\(v.etag)\"")
                    e.element("Size", v.size)
                }
                e.group("Owner") { $0.element("ID", owner.canonicalID); $0.element("DisplayName", owner.displayName) }
                if !v.isDeleteMarker { e.element("StorageClass", v.storageClass ?? "STANDARD") }
            }
        }
        for p in page.commonPrefixes {
            w.group("CommonPrefixes") { $0.element("Prefix", enc(p)) }
        }
        return xml(w.finish())
    }
}
