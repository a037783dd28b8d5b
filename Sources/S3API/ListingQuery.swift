import StorageCore
import WireFormats

/// The query parameters every listing shares (ListObjects, ListObjectVersions, ListMultipartUploads):
/// `prefix`, `delimiter` (empty means none) and `encoding-type=url`, with the encoding that asks for.
struct ListingQuery {
    let prefix: String
    let delimiter: String?
    let urlEncode: Bool

    init(_ s3: S3Request) throws {
        prefix = s3.query["prefix"] ?? ""
        delimiter = s3.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        if let e = s3.query["encoding-type"] {
            guard e.lowercased() == "url" else {
                throw CoreError.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: e)
            }
            urlEncode = true
        } else {
            urlEncode = false
        }
    }

    /// A key or prefix as the listing shows it: with encoding-type=url, all but unreserved characters and
    /// "/" percent-encoded, as S3 does and the SDKs decode.
    func encode(_ name: String) -> String {
        urlEncode ? PercentEncoding.encode(name, keepingSlash: true) : name
    }
}
