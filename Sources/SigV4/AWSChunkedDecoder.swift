import Crypto
import WireFormats

/// Incremental aws-chunked decoder: constant memory, chunk boundaries need not align with input slices.
///
/// Wire format: `hex-size[;chunk-signature=sig]\r\n data \r\n` ... `0[;chunk-signature=sig]\r\n`,
/// then trailer lines `name:value\r\n` (optionally `x-amz-trailer-signature:sig\r\n`), then `\r\n`.
///
/// A chunk's data is emitted before its signature (which follows the data) can be checked, so the
/// caller must treat everything emitted as provisional until `finish()` returns.
public struct AWSChunkedDecoder {
    /// Longest chunk-header or trailer line accepted, without its CRLF.
    public static let maxLineLength = 4096
    /// Most trailer bytes accepted in total.
    public static let maxTrailerBytes = 16 * 1024

    private enum State {
        case chunkHeader, chunkData, chunkDataCR, chunkDataLF, trailer, done
    }

    private let mode: PayloadMode
    private let signer: ChunkSigner?
    private let expectedTrailers: [String]
    private var state = State.chunkHeader
    /// The chunk-header or trailer line read so far (bounded by maxLineLength).
    private var line: [UInt8] = []
    private var remaining = 0
    private var hasher = SHA256()
    private var providedChunkSignature = ""
    private var previousSignature: String
    private var trailers: [(name: String, value: String)] = []
    private var trailerSignature: String?
    private var trailerBytes = 0
    private var failure: AuthError?

    /// Payload bytes emitted so far; the caller compares it with X-Amz-Decoded-Content-Length.
    public private(set) var decodedLength: Int64 = 0

    /// expectedTrailers from X-Amz-Trailer, lowercased
    public init(mode: PayloadMode, signer: ChunkSigner?, expectedTrailers: [String]) {
        self.mode = mode
        self.signer = signer
        self.expectedTrailers = expectedTrailers.map { ASCII.lowercased(ASCII.trimmed($0)) }.filter { !$0.isEmpty }
        self.previousSignature = signer?.seedSignature ?? ""
        line.reserveCapacity(128)
        if verifiesSignatures && signer == nil {
            failure = AuthError(code: "InternalError", message: "A signed aws-chunked body needs a ChunkSigner.", status: 500)
        }
    }

    private var verifiesSignatures: Bool { mode == .streamingSigned || mode == .streamingSignedTrailer }

    /// feeds wire bytes (the HTTP-dechunked body); calls emit for each run of decoded payload bytes
    public mutating func feed(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void)
        throws(AuthError)
    {
        if let failure { throw failure }
        do throws(AuthError) {
            try process(input, emit: emit)
        } catch {
            failure = error
            throw error
        }
    }

    /// call at end of body; throws (IncompleteBody / SignatureDoesNotMatch / malformed) if the stream did not end properly; returns trailer name(lowercased) -> value
    public mutating func finish() throws(AuthError) -> [String: String] {
        if let failure { throw failure }
        do throws(AuthError) {
            switch state {
            case .done:
                break
            case .trailer:
                // Tolerate a stream that stops right after its last trailer line (or after the
                // zero-size chunk) without the closing blank line.
                if line.last == 0x0d { line.removeLast() }
                if !line.isEmpty {
                    try handleTrailerLine()
                    line.removeAll()
                }
                try finishTrailers()
                state = .done
            case .chunkHeader, .chunkData, .chunkDataCR, .chunkDataLF:
                throw AuthError.incompleteBody
            }
        } catch {
            failure = error
            throw error
        }
        var result: [String: String] = [:]
        for trailer in trailers { result[trailer.name] = trailer.value }
        return result
    }

    private mutating func process(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void)
        throws(AuthError)
    {
        let count = input.count
        var i = 0
        while i < count {
            switch state {
            case .chunkHeader, .trailer:
                var end = i
                while end < count && input[end] != 0x0a { end += 1 }
                guard line.count + (end - i) <= Self.maxLineLength + 1 else {
                    throw state == .trailer
                        ? AuthError.malformedTrailer("trailer line too long")
                        : AuthError.malformedChunk("chunk header line too long")
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<end]))
                if end == count { return }
                i = end + 1
                guard line.last == 0x0d else { throw AuthError.malformedChunk("line not terminated by CRLF") }
                line.removeLast()
                if state == .chunkHeader { try handleChunkHeader() } else { try handleTrailerLine() }
                line.removeAll(keepingCapacity: true)
            case .chunkData:
                let take = min(remaining, count - i)
                let slice = UnsafeRawBufferPointer(rebasing: input[i..<(i + take)])
                if verifiesSignatures { hasher.update(bufferPointer: slice) }
                do {
                    try emit(slice)
                } catch let error as AuthError {
                    throw error
                } catch {
                    var wrapped = AuthError(code: "InternalError", message: "\(error)", status: 500)
                    wrapped.underlying = error
                    throw wrapped
                }
                remaining -= take
                decodedLength += Int64(take)
                i += take
                if remaining == 0 { state = .chunkDataCR }
            case .chunkDataCR:
                guard input[i] == 0x0d else { throw AuthError.malformedChunk("chunk data not followed by CRLF") }
                i += 1
                state = .chunkDataLF
            case .chunkDataLF:
                guard input[i] == 0x0a else { throw AuthError.malformedChunk("chunk data not followed by CRLF") }
                i += 1
                if verifiesSignatures { try verifyChunk(Hex.encode(hasher.finalize())) }
                state = .chunkHeader
            case .done:
                throw AuthError.malformedChunk("data after the end of the aws-chunked stream")
            }
        }
    }

    /// `hex-size[;chunk-signature=sig]`
    private mutating func handleChunkHeader() throws(AuthError) {
        let semicolon = line.firstIndex(of: 0x3b) ?? line.count
        guard semicolon > 0, semicolon <= 15 else { throw AuthError.malformedChunk("invalid chunk size") }
        var size = 0
        for byte in line[0..<semicolon] {
            guard let digit = Hex.value(byte) else { throw AuthError.malformedChunk("invalid chunk size") }
            size = size << 4 | Int(digit)
        }
        var signature: String?
        if semicolon < line.count {
            for ext in line[(semicolon + 1)...].split(separator: 0x3b, omittingEmptySubsequences: true) {
                let text = String(decoding: ext, as: UTF8.self)
                if text.hasPrefix("chunk-signature=") { signature = String(text.dropFirst("chunk-signature=".count)) }
            }
        }
        if verifiesSignatures {
            guard let signature, Hex.isHex(signature, count: 64) else {
                throw AuthError.malformedChunk("chunk-signature missing or malformed")
            }
            providedChunkSignature = signature
            hasher = SHA256()
        }
        if size == 0 {
            if verifiesSignatures { try verifyChunk(Primitives.emptySHA256) }
            state = .trailer
        } else {
            remaining = size
            state = .chunkData
        }
    }

    private mutating func verifyChunk(_ sha256Hex: String) throws(AuthError) {
        guard let signer else { return }
        let expected = signer.chunkSignature(previous: previousSignature, chunkSHA256Hex: sha256Hex)
        guard ConstantTime.equals(expected, ASCII.lowercased(providedChunkSignature)) else {
            throw AuthError.signatureDoesNotMatch([("SignatureProvided", providedChunkSignature)])
        }
        previousSignature = expected
    }

    /// `name:value`, or the blank line that ends the stream.
    private mutating func handleTrailerLine() throws(AuthError) {
        if line.isEmpty {
            try finishTrailers()
            state = .done
            return
        }
        trailerBytes += line.count + 2
        guard trailerBytes <= Self.maxTrailerBytes else { throw AuthError.malformedTrailer("trailer too large") }
        guard let colon = line.firstIndex(of: 0x3a) else { throw AuthError.malformedTrailer("trailer line without ':'") }
        let name = ASCII.lowercased(ASCII.trimmed(String(decoding: line[..<colon], as: UTF8.self)))
        let value = ASCII.trimmed(String(decoding: line[(colon + 1)...], as: UTF8.self))
        guard !name.isEmpty else { throw AuthError.malformedTrailer("empty trailer name") }
        guard trailerSignature == nil else { throw AuthError.malformedTrailer("trailer after x-amz-trailer-signature") }
        if name == "x-amz-trailer-signature" {
            // Only meaningful in the signed-trailer mode; an unsigned stream's is ignored.
            if mode == .streamingSignedTrailer { trailerSignature = value }
            return
        }
        guard mode != .streamingSigned, expectedTrailers.contains(name) else {
            throw AuthError.malformedTrailer("trailer \(name) was not declared in X-Amz-Trailer")
        }
        guard !trailers.contains(where: { $0.name == name }) else {
            throw AuthError.malformedTrailer("trailer \(name) repeated")
        }
        trailers.append((name, value))
    }

    private mutating func finishTrailers() throws(AuthError) {
        for name in expectedTrailers where !trailers.contains(where: { $0.name == name }) {
            throw AuthError.malformedTrailer("trailer \(name) declared in X-Amz-Trailer is missing")
        }
        guard mode == .streamingSignedTrailer, let signer else { return }
        guard let provided = trailerSignature else {
            throw AuthError.malformedTrailer("x-amz-trailer-signature is missing")
        }
        let expected = signer.trailerSignature(previous: previousSignature, trailers: trailers)
        guard ConstantTime.equals(expected, ASCII.lowercased(provided)) else {
            throw AuthError.signatureDoesNotMatch([("SignatureProvided", provided)])
        }
    }
}
