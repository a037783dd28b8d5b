import Foundation
import GatewayHTTP
import Hummingbird
import S3XML
import StorageCore
import WireFormats

/// ListObjectVersions (GET /bucket?versions). No bucket here keeps versions, so each object is listed
/// once, as version "null" and the latest, as S3 lists a bucket that was never versioned: what the aws
/// CLI, rclone `--s3-versions`, Terraform and test-suite clean-up code call before they delete.
extension S3Service {
    func listObjectVersions(_ bucket: String, s3: S3Request) async throws -> Response {
        let listing = try ListingQuery(s3)
        let (prefix, delimiter) = (listing.prefix, listing.delimiter)
        let maxKeys = try queryInt(s3, "max-keys", default: 1000, range: 0...1000)
        let keyMarker = s3.query["key-marker"] ?? ""
        let versionMarker = s3.query["version-id-marker"] ?? ""
        if !versionMarker.isEmpty {
            guard !keyMarker.isEmpty else {
                throw CoreError.invalidArgument("A version-id marker cannot be specified without a key marker.",
                                                name: "version-id-marker", value: versionMarker)
            }
            try VersionID.check(versionMarker, name: "version-id-marker")
        }
        // Each key has one version: after the key marker (with or without "null" as the version marker)
        // comes the next key.
        let page = try await storage.listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter,
                                                 start: keyMarker.isEmpty ? nil : keyMarker, maxKeys: maxKeys)
        let enc = listing.encode

        var w = XMLWriter(root: "ListVersionsResult")
        w.element("Name", bucket)
        w.element("Prefix", enc(prefix))
        w.element("KeyMarker", enc(keyMarker))
        w.element("VersionIdMarker", versionMarker)
        if page.isTruncated, let next = page.nextMarker {
            w.element("NextKeyMarker", enc(next))
            // A page that ends on a version resumes after it; one that ends on a common prefix, after the prefix.
            if page.entries.last?.key == next { w.element("NextVersionIdMarker", VersionID.null) }
        }
        w.element("MaxKeys", maxKeys)
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        if listing.urlEncode { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.isTruncated)
        for o in page.entries {
            w.group("Version") { v in
                v.element("Key", enc(o.key))
                v.element("VersionId", VersionID.null)
                v.element("IsLatest", true)
                v.element("LastModified", S3Time.iso8601(o.lastModified))
                v.element("ETag", "\"\(o.etag)\"")
                v.element("Size", o.size)
                v.group("Owner") { $0.element("ID", "tessera"); $0.element("DisplayName", "tessera") }
                v.element("StorageClass", o.storageClass ?? "STANDARD")
            }
        }
        for p in page.commonPrefixes {
            w.group("CommonPrefixes") { $0.element("Prefix", enc(p)) }
        }
        return xml(w.finish())
    }
}
