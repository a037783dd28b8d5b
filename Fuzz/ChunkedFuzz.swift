// libFuzzer target: the aws-chunked decoder (`AWSChunkedDecoder.feed/finish`), compiled together
// with Sources/SigV4 (see Fuzz/fuzz.sh).
//
// Input: byte 0 = options, byte 1 = slicing seed, then the body.
//   options bits 0-2: payload mode (mod 5: unsigned, sha256, streamingSigned, streamingSignedTrailer,
//                     streamingUnsignedTrailer)
//           bit 3:    0 = the body is aws-chunked wire bytes as sent;
//                     1 = the body describes chunks; the harness writes a correctly framed (and, in the
//                         signed modes, correctly signed) stream from it, optionally corrupts one byte,
//                         and requires an uncorrupted stream to decode to exactly the described data.
//           bits 4-5: declared trailers (X-Amz-Trailer): x-amz-checksum-crc32, x-amz-checksum-sha256
//           bit 6:    also declare " X-Amz-Meta-Extra " (trimmed and lowercased by the decoder)
//           bit 7:    no ChunkSigner (a signed mode must then fail, never crash)
//
// Properties, for every input: the outcome (bytes emitted, trailers, or the error) does not depend on
// how the input is sliced into `feed` calls (one call vs. pseudo-random slices, empty ones included);
// the bytes emitted never outnumber the bytes fed and equal `decodedLength`; after a failure every
// later call fails the same way; after `finish` succeeds, more data is refused.
import Crypto

let chunkModes: [PayloadMode] = [
    .unsigned, .sha256(String(repeating: "0", count: 64)), .streamingSigned, .streamingSignedTrailer,
    .streamingUnsignedTrailer,
]
/// AWS's signed streaming example (S3 API reference, "Signature Calculations ... in Multiple Chunks").
let chunkSigner = ChunkSigner(
    secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", amzDate: "20130524T000000Z", region: "us-east-1",
    seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")

struct DecodeOutcome: Equatable {
    var output: [UInt8] = []
    var trailers: [String: String]?
    var errorCode: String?
    var errorMessage: String?
    var decodedLength: Int64 = 0
}

struct ChunkedCase {
    var mode: PayloadMode
    var signer: ChunkSigner?
    var declared: [String]

    /// Decodes `wire`, fed as slices whose sizes come from `random` (nil: a single feed call).
    func decode(_ wire: [UInt8], slicing random: FuzzRandom?) -> DecodeOutcome {
        var random = random
        var decoder = AWSChunkedDecoder(mode: mode, signer: signer, expectedTrailers: declared)
        var outcome = DecodeOutcome()
        var output: [UInt8] = []
        func record(_ error: AuthError) {
            outcome.errorCode = error.code
            outcome.errorMessage = error.message
        }
        wire.withUnsafeBytes { all in
            var offset = 0
            repeat {
                var take = all.count - offset
                if random != nil {
                    // Mostly short slices, sometimes empty ones, sometimes everything left.
                    switch random!.upTo(7) {
                    case 0: take = 0
                    case 1: break
                    default: take = min(take, random!.upTo(9))
                    }
                }
                let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + take)])
                offset += take
                do throws(AuthError) {
                    try decoder.feed(slice) { bytes in
                        invariant(!bytes.isEmpty, "emitted an empty run")
                        output.append(contentsOf: bytes)
                    }
                } catch {
                    record(error)
                    // A failed decoder stays failed, with the same error.
                    do throws(AuthError) {
                        try decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset...])) { _ in
                            invariant(false, "emitted after a failure")
                        }
                        invariant(false, "feed after a failure succeeded")
                    } catch {
                        invariant(error.code == outcome.errorCode && error.message == outcome.errorMessage,
                                  "a failed decoder changed its error")
                    }
                    do throws(AuthError) {
                        _ = try decoder.finish()
                        invariant(false, "finish after a failure succeeded")
                    } catch {
                        invariant(error.code == outcome.errorCode, "finish changed the error")
                    }
                    return
                }
            } while offset < all.count
            do throws(AuthError) {
                outcome.trailers = try decoder.finish()
                // The stream is over: any further byte is refused.
                var extra: UInt8 = 0x30
                do {
                    try withUnsafeBytes(of: &extra) { try decoder.feed($0) { _ in } }
                    invariant(false, "data after a finished stream accepted")
                } catch {}
            } catch {
                record(error)
            }
        }
        outcome.output = output
        outcome.decodedLength = decoder.decodedLength
        invariant(decoder.decodedLength == Int64(output.count), "decodedLength \(decoder.decodedLength) != \(output.count) emitted")
        invariant(output.count <= wire.count, "emitted \(output.count) bytes from \(wire.count)")
        return outcome
    }
}

/// Writes a well-formed aws-chunked stream for `chunks`, signed as the mode requires.
func writeStream(
    _ chunks: [[UInt8]], trailers: [(name: String, value: String)], mode: PayloadMode, style: UInt8
) -> [UInt8] {
    let signs = mode == .streamingSigned || mode == .streamingSignedTrailer
    let signatureAnyway = style & 1 != 0
    let uppercaseHex = style & 2 != 0
    let leadingZeros = style & 4 != 0
    let extraExtension = style & 8 != 0
    let omitFinalBlankLine = style & 16 != 0
    var out: [UInt8] = []
    var previous = chunkSigner.seedSignature
    func header(_ data: [UInt8]) {
        var size = String(data.count, radix: 16, uppercase: uppercaseHex)
        if leadingZeros { size = "00" + size }
        out += Array(size.utf8)
        if extraExtension { out += Array(";x-ext=1".utf8) }
        if signs || signatureAnyway {
            let signature = chunkSigner.chunkSignature(previous: previous, chunk: data)
            previous = signature
            out += Array(";chunk-signature=\(signature)".utf8)
        }
        out += [0x0d, 0x0a]
    }
    for chunk in chunks {
        header(chunk)
        out += chunk
        out += [0x0d, 0x0a]
    }
    header([])
    for trailer in trailers { out += Array("\(trailer.name):\(trailer.value)\r\n".utf8) }
    if mode == .streamingSignedTrailer {
        let signature = chunkSigner.trailerSignature(previous: previous, trailers: trailers)
        out += Array("x-amz-trailer-signature:\(signature)\r\n".utf8)
    }
    if !omitFinalBlankLine { out += [0x0d, 0x0a] }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func chunkedFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let options = input.byte()
    let slicingSeed = input.byte()
    let mode = chunkModes[Int(options & 7) % chunkModes.count]
    var declared: [String] = []
    if options & 0x10 != 0 { declared.append("x-amz-checksum-crc32") }
    if options & 0x20 != 0 { declared.append("x-amz-checksum-sha256") }
    if options & 0x40 != 0 { declared.append(" X-Amz-Meta-Extra ") }
    let signer = options & 0x80 != 0 ? nil : chunkSigner
    let testCase = ChunkedCase(mode: mode, signer: signer, declared: declared)

    var wire: [UInt8]
    var expected: (output: [UInt8], trailers: [String: String])?
    if options & 8 == 0 {
        wire = Array(input.rest())
    } else {
        // Chunk descriptions: a length byte (0 ends the list) and that many data bytes.
        let style = input.byte()
        let corruption = input.byte()
        let corruptAt = Int(input.byte()) << 8 | Int(input.byte())
        var chunks: [[UInt8]] = []
        while input.remaining > 0 {
            let length = Int(input.byte())
            let chunk = Array(input.take(length))
            // An empty chunk would be the terminating zero-size chunk.
            if chunk.isEmpty { break }
            chunks.append(chunk)
        }
        // Trailer values: what is left (at most 200 bytes, so lines stay far below the line limit),
        // as printable ASCII without spaces, which the decoder would trim.
        let value = String(decoding: input.take(200).map { 0x21 + $0 % 94 }, as: UTF8.self)
        let names = declared.map { ASCII.lowercased(ASCII.trimmed($0)) }
        let trailers = mode == .streamingSigned ? [] : names.map { (name: $0, value: value) }
        wire = writeStream(chunks, trailers: trailers, mode: mode, style: style)
        if corruption != 0 && !wire.isEmpty {
            wire[corruptAt % wire.count] ^= corruption
        } else if !(mode == .streamingSigned && !declared.isEmpty)
            && !(signer == nil && (mode == .streamingSigned || mode == .streamingSignedTrailer))
        {
            var dict: [String: String] = [:]
            for t in trailers { dict[t.name] = t.value }
            expected = (chunks.flatMap { $0 }, dict)
        }
    }

    let whole = testCase.decode(wire, slicing: nil)
    let sliced = testCase.decode(wire, slicing: FuzzRandom(seed: UInt64(slicingSeed) | UInt64(size) << 8))
    invariant(whole == sliced, "slicing changed the outcome: \(whole.errorCode ?? "ok") vs \(sliced.errorCode ?? "ok")")
    if let expected {
        invariant(whole.errorCode == nil, "a well-formed \(mode) stream failed: \(whole.errorCode!): \(whole.errorMessage!)")
        invariant(whole.output == expected.output, "a well-formed stream decoded to other bytes")
        invariant(whole.trailers == expected.trailers, "trailers \(whole.trailers ?? [:]) != \(expected.trailers)")
    }
    return 0
}
