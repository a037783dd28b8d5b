import Checksums
import Crypto
import Foundation
import Hummingbird
import NIOCore
import SigV4
import StorageCore
import WireFormats

/// The request body as the storage core sees it: aws-chunked framing removed, and every digest
/// computed in the same pass (the payload's MD5 for the ETag, the signed SHA-256, Content-MD5 and
/// x-amz-checksum-* as header or trailer) and verified once, when the body ends (`finish`, run by
/// `PipelineBody`'s iterator): the core receives the finished, verified digests, and nothing is
/// committed for a body that fails them. The server may compute one more checksum for itself
/// (`ExtraChecksum`), in the same pass.
final class RequestBodyPipeline: @unchecked Sendable {
    /// A checksum the server stores besides the one the client declared.
    enum ExtraChecksum {
        case none
        /// Always (UploadPart: the upload's algorithm, or the CRC64NVME default).
        case always(ChecksumAlgorithm)
        /// Only when the client declared none (PutObject: S3's CRC64NVME default).
        case ifNoneDeclared(ChecksumAlgorithm)
    }

    private var decoder: AWSChunkedDecoder?
    private var sha256: SHA256?
    private let expectedSHA256: String?
    private var checksum: (algorithm: ChecksumAlgorithm, hasher: any ChecksumHasher, expected: String?)?
    private var extra: (algorithm: ChecksumAlgorithm, hasher: any ChecksumHasher)?
    private let contentMD5: [UInt8]?
    private let decodedLength: Int64?
    private(set) var bytesOut: Int64 = 0
    /// The payload's MD5 (the ETag), hashed as the body is read.
    let md5 = PayloadMD5()
    /// What `finish` verified, once the body has ended.
    let finished = DigestsBox()

    /// - Parameters:
    ///   - flexibleChecksums: false when x-amz-checksum-* headers describe something other than this body
    ///     (CompleteMultipartUpload: the object's checksum).
    init(s3: S3Request, auth: VerifiedAuth, extra: ExtraChecksum = .none, flexibleChecksums: Bool = true) throws {
        switch auth.payload {
        case .sha256(let hex):
            expectedSHA256 = hex
            sha256 = hex == Self.emptySHA256 ? nil : SHA256()
        case .unsigned:
            expectedSHA256 = nil
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer:
            expectedSHA256 = nil
            let trailers = (s3.header("x-amz-trailer") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            decoder = AWSChunkedDecoder(mode: auth.payload, signer: auth.chunkSigner, expectedTrailers: trailers)
        }
        if let raw = s3.header("x-amz-decoded-content-length") {
            guard let n = Int64(raw), n >= 0 else { throw CoreError.invalidArgument("Invalid x-amz-decoded-content-length", name: "x-amz-decoded-content-length", value: raw) }
            decodedLength = n
        } else {
            decodedLength = nil
        }
        contentMD5 = try s3.header("content-md5").map(ContentMD5.parse)
        // One flexible checksum per request: as a header, or announced as a trailer.
        let trailerNames = (s3.header("x-amz-trailer") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for alg in ChecksumAlgorithm.allCases where flexibleChecksums {
            let value = s3.header(alg.headerName)
            guard value != nil || trailerNames.contains(where: { $0.lowercased() == alg.headerName }) else { continue }
            if checksum != nil {
                throw CoreError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
            }
            checksum = (alg, alg.makeHasher(), value)
        }
        if flexibleChecksums, checksum == nil, let name = s3.header("x-amz-sdk-checksum-algorithm"), let alg = ChecksumAlgorithm(rawValue: name.uppercased()) {
            checksum = (alg, alg.makeHasher(), nil)
        }
        switch extra {
        case .always(let alg) where alg != checksum?.algorithm, .ifNoneDeclared(let alg) where checksum == nil:
            self.extra = (alg, alg.makeHasher())
        default:
            break
        }
    }

    /// The flexible checksum algorithm the client declared (header, trailer or x-amz-sdk-checksum-algorithm).
    var declaredAlgorithm: ChecksumAlgorithm? { checksum?.algorithm }

    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func wrap<Base: AsyncSequence & Sendable>(_ base: Base) -> PipelineBody<Base> where Base.Element == ByteBuffer {
        PipelineBody(base: base, pipeline: self)
    }

    /// Transforms one wire chunk into payload bytes, updating every digest.
    func process(_ wire: ByteBuffer) throws -> ByteBuffer {
        wire.withUnsafeReadableBytes { sha256?.update(bufferPointer: $0) }
        if expectedSHA256 == Self.emptySHA256 && wire.readableBytes > 0 {
            throw sha256Mismatch(computed: "(non-empty body)")
        }
        var payload: ByteBuffer
        if decoder != nil {
            payload = ByteBuffer()
            payload.reserveCapacity(wire.readableBytes)
            try wire.withUnsafeReadableBytes { bytes in
                try decoder!.feed(bytes) { out in payload.writeBytes(out) }
            }
        } else {
            payload = wire
        }
        if checksum != nil {
            payload.withUnsafeReadableBytes { checksum!.hasher.update($0) }
        }
        if extra != nil {
            payload.withUnsafeReadableBytes { extra!.hasher.update($0) }
        }
        bytesOut += Int64(payload.readableBytes)
        return payload
    }

    /// Verifies every digest once the body has ended; returns the checksums to store
    /// (algorithm name -> base64). `md5` is the payload's MD5.
    func finish(md5: [UInt8]) throws -> [String: String] {
        var trailers: [String: String] = [:]
        if decoder != nil { trailers = try decoder!.finish() }
        if let decodedLength, decodedLength != bytesOut {
            throw CoreError.incompleteBody
        }
        if let expectedSHA256, let sha = sha256 {
            let computed = Hex.encode(sha.finalize())
            if computed != expectedSHA256.lowercased() { throw sha256Mismatch(computed: computed) }
        }
        if let contentMD5, contentMD5 != md5 {
            throw CoreError("BadDigest", "The Content-MD5 you specified did not match what we received.")
        }
        var stored: [String: String] = [:]
        if let extra { stored[extra.algorithm.rawValue] = Data(extra.hasher.finalize()).base64EncodedString() }
        guard let checksum else { return stored }
        let computed = Data(checksum.hasher.finalize()).base64EncodedString()
        let expected = checksum.expected ?? trailers[checksum.algorithm.headerName]
        if let expected, expected.trimmingCharacters(in: .whitespaces) != computed {
            throw CoreError("BadDigest", "The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        stored[checksum.algorithm.rawValue] = computed
        return stored
    }

    func sha256Mismatch(computed: String) -> CoreError {
        CoreError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
                  details: [.init("ClientComputedContentSHA256", expectedSHA256 ?? ""), .init("S3ComputedContentSHA256", computed)])
    }
}

/// The request body after the pipeline: payload bytes only. Its iterator feeds every digest and,
/// when the wire body ends, finishes and verifies them: it throws instead of ending on a mismatch.
struct PipelineBody<Base: AsyncSequence & Sendable>: DigestedBody where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let pipeline: RequestBodyPipeline

    func digests() throws -> BodyDigests { try pipeline.finished.get() }

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), pipeline: pipeline) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let pipeline: RequestBodyPipeline
        mutating func next() async throws -> ByteBuffer? {
            while let wire = try await base.next() {
                let payload = try pipeline.process(wire)
                if payload.readableBytes > 0 {
                    await pipeline.md5.update(payload)
                    return payload
                }
            }
            guard !pipeline.finished.isSet else { return nil }
            let md5 = await pipeline.md5.finalize()
            pipeline.finished.set(BodyDigests(md5: md5, checksums: try pipeline.finish(md5: md5)))
            return nil
        }
    }
}
