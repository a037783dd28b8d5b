import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import StorageCore
import WireFormats

/// ListObjects (v1: marker/NextMarker) and ListObjectsV2 (continuation-token, start-after, fetch-owner).
extension S3Service {
    func listObjects(_ bucket: String, s3: S3Request, v2: Bool) async throws -> Response {
        let listing = try ListingQuery(s3)
        // Listings name the bucket's owner as every entry's Owner (summaries do not carry each object's writer).
        let owner = try await authorizer.access(bucket).owner
        let (prefix, delimiter) = (listing.prefix, listing.delimiter)
        let maxKeys = try queryInt(s3, "max-keys", default: 1000, range: 0...1000)
        var start: String?
        var token: String?
        if v2 {
            if let t = s3.query["continuation-token"] {
                guard let decoded = ContinuationToken.decode(t) else {
                    throw CoreError.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: t)
                }
                token = t
                start = decoded
            } else if let sa = s3.query["start-after"], !sa.isEmpty {
                start = sa
            }
        } else if let m = s3.query["marker"], !m.isEmpty {
            start = m
        }
        let page = try await storage.listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter, start: start, maxKeys: maxKeys)
        let enc = listing.encode
        let fetchOwner = !v2 || s3.query["fetch-owner"] == "true"

        var w = XMLWriter(root: "ListBucketResult")
        w.element("Name", bucket)
        // ListObjectsV2 encodes Prefix with encoding-type=url; ListObjects (v1) returns it as sent, as S3 does
        // (the SDKs decode Delimiter, Marker, NextMarker and keys there, not Prefix).
        w.element("Prefix", v2 ? enc(prefix) : prefix)
        if v2 {
            w.element("KeyCount", page.entries.count + page.commonPrefixes.count)
            if let token { w.element("ContinuationToken", token) }
            if let sa = s3.query["start-after"] { w.element("StartAfter", enc(sa)) }
            if page.isTruncated, let next = page.nextMarker { w.element("NextContinuationToken", ContinuationToken.encode(next)) }
        } else {
            w.element("Marker", enc(s3.query["marker"] ?? ""))
            // S3 returns NextMarker only with a delimiter; clients use the last key otherwise.
            if page.isTruncated, delimiter != nil, let next = page.nextMarker { w.element("NextMarker", enc(next)) }
        }
        w.element("MaxKeys", maxKeys)
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        if listing.urlEncode { w.element("EncodingType", "url") }
        w.element("IsTruncated", page.isTruncated)
        for o in page.entries {
            w.group("Contents") { c in
                c.element("Key", enc(o.key))
                c.element("LastModified", S3Time.iso8601(o.lastModified))
                c.element("ETag", "\"\(o.etag)\"")
                c.element("Size", o.size)
                if fetchOwner { c.group("Owner") { $0.element("ID", owner.canonicalID); $0.element("DisplayName", owner.displayName) } }
                c.element("StorageClass", o.storageClass ?? "STANDARD")
            }
        }
        for p in page.commonPrefixes {
            w.group("CommonPrefixes") { $0.element("Prefix", enc(p)) }
        }
        return xml(w.finish())
    }

}
