import Checksums
import Foundation
import NIOCore
import WireFormats

/// How an object's stored checksum relates to its bytes (`x-amz-checksum-type`).
public enum ChecksumType: String, Sendable {
    /// A checksum of the part checksums, "-N" appended (multipart only).
    case composite = "COMPOSITE"
    /// The checksum of the whole object, as if it had been uploaded in one piece.
    case fullObject = "FULL_OBJECT"
}

/// What CompleteMultipartUpload's request says about checksums besides the part list.
public struct CompletionChecksums: Sendable {
    /// Per part number: the `<ChecksumXXX>` elements sent, keyed by algorithm name ("CRC32" -> base64).
    public var parts: [Int: [String: String]]
    /// `x-amz-checksum-type`, if sent: it must be the upload's.
    public var type: String?
    /// `x-amz-checksum-<alg>`, if sent: the object checksum the client expects.
    public var object: (algorithm: ChecksumAlgorithm, value: String)?
    /// `x-amz-mp-object-size`, if sent.
    public var objectSize: Int64?

    public init(parts: [Int: [String: String]] = [:], type: String? = nil,
                object: (algorithm: ChecksumAlgorithm, value: String)? = nil, objectSize: Int64? = nil) {
        self.parts = parts; self.type = type; self.object = object; self.objectSize = objectSize
    }
}

/// S3's flexible-checksum rules for multipart uploads.
///
/// An upload has one algorithm (the client's, or CRC64NVME when it named none, as current S3 does) and one
/// type. Every part stores its checksum in that algorithm. At completion the object's checksum is built from
/// the part checksums alone: COMPOSITE = ALG(raw part checksums concatenated) + "-N"; FULL_OBJECT (CRCs only)
/// = the part CRCs combined with the part sizes, which equals the CRC of the whole object. No data is re-read.
public enum MultipartChecksums {
    /// The algorithm S3 uses when the client names none (objects and multipart uploads alike).
    public static let defaultAlgorithm = ChecksumAlgorithm.crc64nvme

    /// Validates CreateMultipartUpload's `x-amz-checksum-algorithm` and `x-amz-checksum-type` as S3 does.
    /// The type defaults to FULL_OBJECT for CRC64NVME and to COMPOSITE for the other algorithms.
    public static func resolve(algorithm rawAlgorithm: String?, type rawType: String?) throws
        -> (algorithm: ChecksumAlgorithm?, type: ChecksumType?) {
        var algorithm: ChecksumAlgorithm?
        if let raw = rawAlgorithm {
            guard let alg = ChecksumAlgorithm(name: raw) else {
                throw CoreError.invalidArgument("Checksum algorithm provided is unsupported.", name: "x-amz-checksum-algorithm", value: raw)
            }
            algorithm = alg
        }
        guard let rawType else {
            return (algorithm, algorithm.map { $0 == .crc64nvme ? .fullObject : .composite })
        }
        guard let type = ChecksumType(rawValue: rawType.uppercased()) else {
            throw CoreError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
        }
        guard let algorithm else {
            throw CoreError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
        }
        switch type {
        case .fullObject where !algorithm.isCombinable, .composite where algorithm == .crc64nvme:
            throw CoreError("InvalidRequest", "The \(type.rawValue) checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
        default:
            return (algorithm, type)
        }
    }

    /// The algorithm every part of `upload` is checksummed with (nil only for an unknown stored name).
    public static func partAlgorithm(_ upload: UploadRecord) -> ChecksumAlgorithm? {
        guard let raw = upload.checksumAlgorithm else { return defaultAlgorithm }
        return ChecksumAlgorithm(name: raw)
    }

    /// The type the completed object's checksum will have.
    public static func objectType(_ upload: UploadRecord) -> ChecksumType {
        if let t = upload.checksumType.flatMap({ ChecksumType(rawValue: $0) }) { return t }
        // No algorithm: the CRC64NVME default. An algorithm but no type: an upload stored before types were kept.
        guard let alg = upload.checksumAlgorithm.flatMap({ ChecksumAlgorithm(name: $0) }) else { return .fullObject }
        return alg == .crc64nvme ? .fullObject : .composite
    }

    /// UploadPart: a checksum the client sends must use the upload's algorithm (S3 answers InvalidRequest).
    /// Uploads created without an algorithm accept any (and also get the CRC64NVME default).
    public static func checkPartAlgorithm(_ upload: UploadRecord, declared: ChecksumAlgorithm?) throws {
        guard let raw = upload.checksumAlgorithm, let declared, declared.rawValue != raw.uppercased() else { return }
        throw CoreError("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: \(raw.lowercased()), actual checksum Type: \(declared.rawValue.lowercased())")
    }

    /// COMPOSITE: base64(ALG(raw part checksums, concatenated in part order)) + "-N".
    public static func composite(_ algorithm: ChecksumAlgorithm, partChecksums: [[UInt8]]) -> String {
        var hasher = algorithm.makeHasher()
        for c in partChecksums { hasher.update(c) }
        return Base64.encode(hasher.finalize()) + "-\(partChecksums.count)"
    }

    /// FULL_OBJECT: the CRC of the parts' concatenation from each part's CRC and size (no data re-read).
    /// nil for the SHA algorithms, which cannot be combined, or a checksum of the wrong length.
    public static func fullObject(_ algorithm: ChecksumAlgorithm, parts: [(checksum: [UInt8], size: Int64)]) -> String? {
        guard let arithmetic = algorithm.crcArithmetic, parts.allSatisfy({ $0.checksum.count == algorithm.digestLength }) else { return nil }
        func be(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
        // The CRC of nothing is 0 for all three, and combine(0, b, n) == b. Parts mostly share a size (all
        // but the last under the aws profile), so the factor of the previous part's size is reused.
        var last: (size: Int64, factor: UInt64)?
        var crc: UInt64 = 0
        for p in parts {
            let factor: UInt64
            if let last, last.size == p.size {
                factor = last.factor
            } else {
                factor = arithmetic.zeroBytesFactor(p.size)
                last = (p.size, factor)
            }
            crc = arithmetic.combine(crc, be(p.checksum), factorOfB: factor)
        }
        let bytes = (0..<algorithm.digestLength).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt64(algorithm.digestLength - 1 - $0))) }
        return Base64.encode(bytes)
    }

    /// The object checksum a completion produces.
    public struct ObjectChecksum: Sendable, Equatable {
        public var algorithm: ChecksumAlgorithm
        public var value: String
        public var type: ChecksumType
        /// Each chosen part's checksum in `algorithm`, in part order.
        public var partValues: [String]
    }

    /// CompleteMultipartUpload: checks the client's per-part checksums against the stored ones (InvalidPart on a
    /// mismatch), then builds the object's checksum. nil when some part has no checksum in the upload's algorithm
    /// (parts stored before checksums were kept): the object then has none, rather than a wrong one.
    public static func complete(upload: UploadRecord, chosen: [PartRecord], requested: [Int: [String: String]]) throws -> ObjectChecksum? {
        let type = objectType(upload)
        let algorithm = partAlgorithm(upload)
        // Without per-part elements there is nothing to compare, and only COMPOSITE uploads with an algorithm require them.
        let mustSendEach = type == .composite && algorithm != nil && upload.checksumAlgorithm != nil
        for p in chosen where !requested.isEmpty || mustSendEach {
            let sent = requested[p.partNumber] ?? [:]
            for (alg, value) in sent {
                guard let stored = p.checksums[Self.upper(alg)], sameBytes(stored, PartValidator.trimmingWhitespaces(value)) else {
                    throw CoreError("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                                    details: [.init("PartNumber", String(p.partNumber)), .init("ETag", p.etag)])
                }
            }
            if type == .composite, let algorithm, upload.checksumAlgorithm != nil,
               !sent.keys.contains(where: { Self.upper($0) == algorithm.rawValue }) {
                throw CoreError("InvalidRequest", "The upload was created using a \(algorithm.rawValue.lowercased()) checksum. The complete request must include the checksum for each part. It was missing for part \(p.partNumber) in the request.")
            }
        }
        guard let algorithm else { return nil }
        var values: [String] = []
        var raw: [[UInt8]] = []
        values.reserveCapacity(chosen.count)
        raw.reserveCapacity(chosen.count)
        let name = algorithm.rawValue
        for i in chosen.indices {   // by index: `for p in chosen` copied each PartRecord
            guard let v = chosen[i].checksums[name], let bytes = Base64.decode(v), bytes.count == algorithm.digestLength else { return nil }
            values.append(v)
            raw.append(bytes)
        }
        let value: String
        switch type {
        case .composite:
            value = composite(algorithm, partChecksums: raw)
        case .fullObject:
            guard let v = fullObject(algorithm, parts: raw.indices.map { (checksum: raw[$0], size: chosen[$0].size) }) else { return nil }
            value = v
        }
        return ObjectChecksum(algorithm: algorithm, value: value, type: type, partValues: values)
    }

    /// An algorithm name in capitals: as it is when it has no lower-case ASCII letter (the element names
    /// the XML reader gives: no String made per part), else `uppercased()`.
    private static func upper(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) || !name.utf8.allSatisfy({ $0 < 0x80 })
            ? name.uppercased() : name
    }

    /// Checks CompleteMultipartUpload's `x-amz-checksum-type`, before anything else is looked at.
    public static func checkCompletionType(_ upload: UploadRecord, _ raw: String?) throws {
        guard let raw else { return }
        guard let t = ChecksumType(rawValue: raw.uppercased()) else {
            throw CoreError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
        }
        let expected = objectType(upload)
        if t != expected {
            throw CoreError("InvalidRequest", "The upload was created using the \(expected.rawValue) checksum mode. The complete request must use the same checksum mode.")
        }
    }

    /// Checks the object checksum the client sent on CompleteMultipartUpload against the computed one.
    /// A composite value may be sent with or without its "-N".
    public static func checkExpected(_ expected: (algorithm: ChecksumAlgorithm, value: String)?, computed: ObjectChecksum?, upload: UploadRecord) throws {
        guard let expected else { return }
        guard let computed, computed.algorithm == expected.algorithm else {
            let name = upload.checksumAlgorithm?.lowercased() ?? "null"
            throw CoreError("InvalidRequest", "The upload was created using a \(name) checksum. The complete request must use the same checksum algorithm.")
        }
        let sent = expected.value.trimmingCharacters(in: .whitespaces)
        let bare = computed.value.split(separator: "-").first.map(String.init) ?? computed.value
        if sent != computed.value && !(computed.type == .composite && sent == bare) {
            throw CoreError("BadDigest", "The \(expected.algorithm.rawValue.lowercased()) you specified did not match the calculated checksum.")
        }
    }
}

/// A hasher shared between a body being consumed and the code that reads the digest afterwards.
final class HasherBox: @unchecked Sendable {
    var hasher: any ChecksumHasher
    init(_ algorithm: ChecksumAlgorithm) { hasher = algorithm.makeHasher() }
}
