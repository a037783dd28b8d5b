import Checksums
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore
import WireFormats

/// CompleteMultipartUpload: POST /b/k?uploadId=U with the part list. The object becomes a manifest
/// of the part blobs: no data is copied, whatever the part sizes. Its checksum (COMPOSITE, or FULL_OBJECT
/// for the CRCs) is built from the part checksums; per-part <ChecksumXXX> elements must match the stored ones.
extension S3Service {
    func completeMultipartUpload(_ bucket: String, _ key: String, uploadID id: String, s3: S3Request, body: RequestBody,
                                 auth: VerifiedAuth) async throws -> Response {
        // An upload already completed is still answered, when this is the same request again (`completedUpload`).
        let pending = try await Self.isPending { try await storage.upload(bucket: bucket, key: key, uploadID: id) }
        if !pending, try await storage.metadata.completedUpload(id: id) == nil { throw CoreError.noSuchUpload(id) }
        let condition = try WriteConditionHeaders.parse(s3)
        let document = try await readSmallBody(body, s3: s3, auth: auth, flexibleChecksums: false)
        let entries = try S3RequestXML.completeMultipartUpload(document)
        let requested = entries.map { (partNumber: $0.partNumber, etag: $0.etag) }
        let done: (etag: String, checksums: [String: String], checksumType: String?, versionID: String?, encryption: ObjectEncryption?)
        do {
            guard pending else { throw CoreError.noSuchUpload(id) }
            // A ticket's file allowance counts completed objects: one is charged here, given back if the completion fails.
            let charge = try await TicketCharge.charge(s3, storage: storage, bytes: 0, files: 1)
            let record = try await TicketCharge.paying(charge) {
                try await storage.completeMultipartUpload(bucket: bucket, key: key, uploadID: id, parts: requested,
                                                          checksums: try completionChecksums(entries, s3: s3), condition: condition)
            }
            done = (record.etag, record.attributes.checksums, record.attributes.checksumType, record.versioned ? record.versionID : nil,
                    record.attributes.encryption)
        } catch let e as CoreError where e.code == "NoSuchUpload" {
            // Completed before (or, concurrently, just now): the first answer again, for the same part list only.
            let first = try await storage.completedUpload(bucket: bucket, key: key, uploadID: id, parts: requested)
            done = (first.etag, first.checksums, first.checksumType, first.versionID, nil)
        }
        var w = XMLWriter(root: "CompleteMultipartUploadResult")
        w.element("Location", "http://\(s3.host)/\(bucket)/\(PercentEncoding.encode(key, keepingSlash: true))")
        w.element("Bucket", bucket)
        w.element("Key", key)
        w.element("ETag", "\"\(done.etag)\"")
        for (alg, value) in done.checksums.sorted(by: { $0.key < $1.key }) { w.element("Checksum" + alg, value) }
        if let type = done.checksumType, !done.checksums.isEmpty { w.element("ChecksumType", type) }
        var headers = HTTPFields()
        Self.addEncryption(done.encryption, to: &headers)
        if let versionID = done.versionID { headers[Self.versionIDHeader] = versionID }
        return xml(w.finish(), headers: headers)
    }

    /// false when `lookup` finds no such upload (any other failure is thrown).
    private static func isPending(_ lookup: () async throws -> UploadRecord) async throws -> Bool {
        do { _ = try await lookup(); return true } catch let e as CoreError where e.code == "NoSuchUpload" { return false }
    }

    /// "CRC32" for "ChecksumCRC32": the algorithm's own name when it is one (no String made per part).
    private static func algorithmName(ofElement element: String) -> String {
        elementNames.first { sameBytes($0.element, element) }?.algorithm ?? String(element.dropFirst("Checksum".count))
    }
    private static let elementNames = ChecksumAlgorithm.allCases.map { (element: $0.xmlElement, algorithm: $0.rawValue) }

    /// The request's checksum statements: per-part elements, x-amz-checksum-type, the object's
    /// x-amz-checksum-<alg> and x-amz-mp-object-size.
    private func completionChecksums(_ entries: [CompletedPartEntry], s3: S3Request) throws -> CompletionChecksums {
        var c = CompletionChecksums()
        c.parts.reserveCapacity(entries.count)
        for e in entries where !e.checksums.isEmpty {
            var byAlgorithm: [String: String] = [:]
            for (element, value) in e.checksums { byAlgorithm[Self.algorithmName(ofElement: element)] = value }
            c.parts[e.partNumber] = byAlgorithm
        }
        c.type = s3.header("x-amz-checksum-type")
        for alg in ChecksumAlgorithm.allCases {
            if let value = s3.header(alg.headerName) { c.object = (alg, value) }
        }
        if let raw = s3.header("x-amz-mp-object-size") {
            guard let n = Int64(raw), n >= 0 else {
                throw CoreError.invalidArgument("Invalid x-amz-mp-object-size", name: "x-amz-mp-object-size", value: raw)
            }
            c.objectSize = n
        }
        return c
    }
}
