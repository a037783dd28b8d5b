/// The S3 "flexible checksum" algorithms.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case crc64nvme = "CRC64NVME"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// Request/response header carrying the base64 digest, e.g. `x-amz-checksum-crc32`.
    public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// Element name used in CompleteMultipartUpload, ListParts, GetObjectAttributes.
    public var xmlElement: String { "Checksum" + rawValue }

    /// Length of the raw digest in bytes (used to validate decoded header values).
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: 4
        case .crc64nvme: 8
        case .sha1: 20
        case .sha256: 32
        }
    }

    /// Header names arrive in any case from different clients.
    public init?(headerName: String) {
        let lower = headerName.lowercased()
        guard let match = Self.allCases.first(where: { $0.headerName == lower }) else { return nil }
        self = match
    }

    /// Accepts the algorithm name as sent in `x-amz-checksum-algorithm` /
    /// `x-amz-sdk-checksum-algorithm` (S3 treats these case-insensitively).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue == name.uppercased() }) else { return nil }
        self = match
    }

    public func makeHasher() -> any ChecksumHasher {
        switch self {
        case .crc32: CRC32()
        case .crc32c: CRC32C()
        case .crc64nvme: CRC64NVME()
        case .sha1: SHA1Hasher()
        case .sha256: SHA256Hasher()
        }
    }

    /// One-shot digest of a byte collection.
    public func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = makeHasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Arithmetic modulo the CRC's polynomial (combining per-part CRCs), one table per polynomial for
    /// the process; nil for the SHA algorithms.
    public var crcArithmetic: CRCPolynomialArithmetic? {
        switch self {
        case .crc32: CRC32.arithmetic
        case .crc32c: CRC32C.arithmetic
        case .crc64nvme: CRC64NVME.arithmetic
        case .sha1, .sha256: nil
        }
    }

    /// CRCs can be merged from per-part values (full-object checksums of multipart
    /// uploads); SHA digests cannot.
    public var isCombinable: Bool {
        switch self {
        case .crc32, .crc32c, .crc64nvme: true
        case .sha1, .sha256: false
        }
    }
}
