import Foundation
import SigV4
import Testing

/// The aws-chunked decoder on recorded botocore bodies and on AWS's signed streaming example.
@Suite struct ChunkedDecoderTests {
    static let sliceSizes = [1, 7, 4096, Int.max]

    static func chunkedRecords() throws -> [WireRecord] {
        try Fixtures.loadAll().filter { $0.awsChunked != nil }
    }

    static func decoder(for record: WireRecord) -> AWSChunkedDecoder {
        let mode = FixtureReplayTests.expectedPayload(record) ?? .streamingUnsignedTrailer
        let trailers = record.header("x-amz-trailer").map { $0.split(separator: ",").map { $0.lowercased() } } ?? []
        return AWSChunkedDecoder(mode: mode, signer: nil, expectedTrailers: trailers)
    }

    @Test("fixture aws-chunked bodies decode", arguments: sliceSizes + [0])
    func fixtureBodiesDecode(sliceSize: Int) throws {
        var decoded = 0
        for record in try Self.chunkedRecords() {
            guard let wire = record.wireBody, let expected = record.awsChunked else { continue }
            let (body, complete) = httpDechunk(wire)
            #expect(complete, "\(record.label): HTTP chunking")
            var decoder = Self.decoder(for: record)
            // Size 0 stands for pseudo-random slice sizes.
            var random: SplitMix64? = sliceSize == 0 ? SplitMix64(state: UInt64(record.seq)) : nil
            do {
                let result = try decodeInSlices(body, decoder: &decoder, sliceSize: sliceSize, random: &random)
                #expect(result.length == expected.decodedLength, "\(record.label)")
                #expect(result.sha256 == expected.decodedSha256, "\(record.label)")
                #expect(decoder.decodedLength == Int64(expected.decodedLength))
                var trailers: [String: String] = [:]
                for line in expected.trailerLines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    trailers[String(parts[0])] = String(parts[1])
                }
                #expect(result.trailers == trailers, "\(record.label)")
            } catch {
                Issue.record("\(record.label): \(error)")
            }
            decoded += 1
        }
        #expect(decoded >= 10)
    }

    /// The large recorded bodies keep only their first 4 KiB: that prefix decodes, then ends as incomplete.
    @Test func truncatedFixtureBodiesAreIncomplete() throws {
        var checked = 0
        for record in try Self.chunkedRecords() {
            guard record.wireBody == nil, let head = record.body.headB64.flatMap({ Data(base64Encoded: $0) }) else {
                continue
            }
            let (body, _) = httpDechunk(Array(head))
            var decoder = Self.decoder(for: record)
            var length = 0
            let feedError = authError {
                try body.withUnsafeBytes { bytes in
                    try decoder.feed(bytes) { length += $0.count }
                }
            }
            #expect(feedError == nil, "\(record.label)")
            #expect(length > 0 && length < body.count)
            let finishError = authError { _ = try decoder.finish() }
            #expect(finishError?.code == "IncompleteBody", "\(record.label)")
            checked += 1
        }
        #expect(checked > 0)
    }

    // MARK: AWS streaming example ("Signature Calculation: Transfer Payload in Multiple Chunks")

    static let seedSignature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let chunkSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]

    static let streamingRequest = IncomingRequest(
        method: "PUT", path: "/examplebucket/chunkObject.txt", query: "",
        headers: [
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=\(seedSignature)"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ])

    /// 65536 + 1024 bytes of 'a' with the documented chunk signatures; `trailer` appends trailer lines.
    static func exampleBody(corruptChunk: Int? = nil, trailer: [String] = []) -> [UInt8] {
        var body: [UInt8] = []
        for (index, size) in [65536, 1024, 0].enumerated() {
            body += Array("\(String(size, radix: 16));chunk-signature=\(chunkSignatures[index])\r\n".utf8)
            var data = [UInt8](repeating: 0x61, count: size)
            if index == corruptChunk { data[size / 2] = 0x62 }
            body += data
            if size > 0 { body += Array("\r\n".utf8) }
        }
        for line in trailer { body += Array((line + "\r\n").utf8) }
        body += Array("\r\n".utf8)
        return body
    }

    static func streamingSigner() throws -> ChunkSigner {
        let verifier = Verifier(
            region: "us-east-1", credentials: { _ in Fixtures.secret },
            now: { Date(timeIntervalSince1970: 1_369_353_600) })
        let auth = try #require(try verifier.verify(streamingRequest))
        #expect(auth.payload == .streamingSigned)
        let signer = try #require(auth.chunkSigner)
        #expect(signer.seedSignature == seedSignature)
        return signer
    }

    @Test("AWS signed streaming example verifies", arguments: sliceSizes)
    func signedStreamingExample(sliceSize: Int) throws {
        let signer = try Self.streamingSigner()
        let body = Self.exampleBody()
        #expect(body.count == 66824)
        var decoder = AWSChunkedDecoder(mode: .streamingSigned, signer: signer, expectedTrailers: [])
        var random: SplitMix64? = nil
        let result = try decodeInSlices(body, decoder: &decoder, sliceSize: sliceSize, random: &random)
        #expect(result.length == 66560)
        var expected = PayloadSHA256()
        expected.update([UInt8](repeating: 0x61, count: 66560))
        #expect(result.sha256 == expected.hexDigest())
        #expect(result.trailers.isEmpty)
    }

    @Test("a changed byte breaks the chunk signature", arguments: [0, 1])
    func corruptedChunkFails(chunk: Int) throws {
        let signer = try Self.streamingSigner()
        for sliceSize in Self.sliceSizes {
            var decoder = AWSChunkedDecoder(mode: .streamingSigned, signer: signer, expectedTrailers: [])
            var random: SplitMix64? = nil
            let error = authError {
                do {
                    _ = try decodeInSlices(
                        Self.exampleBody(corruptChunk: chunk), decoder: &decoder, sliceSize: sliceSize, random: &random)
                } catch let error as AuthError {
                    throw error
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            #expect(error?.code == "SignatureDoesNotMatch", "slice \(sliceSize)")
            #expect(error?.status == 403)
            // A failed decoder stays failed.
            #expect(authError { _ = try decoder.finish() }?.code == "SignatureDoesNotMatch")
        }
    }

    @Test func chunkSignatureChain() throws {
        let signer = ChunkSigner(
            secret: Fixtures.secret, amzDate: "20130524T000000Z", region: "us-east-1", seedSignature: Self.seedSignature)
        var previous = Self.seedSignature
        for (index, size) in [65536, 1024, 0].enumerated() {
            previous = signer.chunkSignature(previous: previous, chunk: [UInt8](repeating: 0x61, count: size))
            #expect(previous == Self.chunkSignatures[index])
        }
        // aws-crt's published trailer vector chains from the final chunk signature.
        let trailer = signer.trailerSignature(
            previous: previous, trailers: [("first", "1st"), ("second", "2nd"), ("third", "3rd")])
        #expect(trailer == "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c")
    }

    static let trailerLines = [
        "first:1st", "second:2nd", "third:3rd",
        "x-amz-trailer-signature:df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c",
    ]

    @Test("signed trailer verifies", arguments: sliceSizes)
    func signedTrailer(sliceSize: Int) throws {
        let signer = ChunkSigner(
            secret: Fixtures.secret, amzDate: "20130524T000000Z", region: "us-east-1", seedSignature: Self.seedSignature)
        var decoder = AWSChunkedDecoder(
            mode: .streamingSignedTrailer, signer: signer, expectedTrailers: ["first", "second", "third"])
        var random: SplitMix64? = nil
        let result = try decodeInSlices(
            Self.exampleBody(trailer: Self.trailerLines), decoder: &decoder, sliceSize: sliceSize, random: &random)
        #expect(result.length == 66560)
        #expect(result.trailers == ["first": "1st", "second": "2nd", "third": "3rd"])
    }

    @Test func changedTrailerFails() throws {
        let signer = ChunkSigner(
            secret: Fixtures.secret, amzDate: "20130524T000000Z", region: "us-east-1", seedSignature: Self.seedSignature)
        var lines = Self.trailerLines
        lines[1] = "second:2ND"
        var decoder = AWSChunkedDecoder(
            mode: .streamingSignedTrailer, signer: signer, expectedTrailers: ["first", "second", "third"])
        let error = Self.run(&decoder, Self.exampleBody(trailer: lines))
        #expect(error?.code == "SignatureDoesNotMatch")

        var missing = AWSChunkedDecoder(
            mode: .streamingSignedTrailer, signer: signer, expectedTrailers: ["first", "second", "third"])
        #expect(Self.run(&missing, Self.exampleBody(trailer: Array(Self.trailerLines.dropLast())))?.code == "MalformedTrailerError")
    }

    // MARK: Framing errors

    /// Feeds all of `body` then finishes; returns the error, if any.
    static func run(_ decoder: inout AWSChunkedDecoder, _ body: [UInt8]) -> AuthError? {
        authError {
            try body.withUnsafeBytes { bytes in try decoder.feed(bytes) { _ in } }
            _ = try decoder.finish()
        }
    }

    static func unsigned(_ trailers: [String] = ["x-amz-checksum-crc32"]) -> AWSChunkedDecoder {
        AWSChunkedDecoder(mode: .streamingUnsignedTrailer, signer: nil, expectedTrailers: trailers)
    }

    @Test(arguments: [
        ("zz\r\nabc\r\n0\r\n\r\n", "InvalidRequest"),
        ("3\r\nabcX\r\n0\r\n\r\n", "InvalidRequest"),
        ("3\nabc\r\n0\r\n\r\n", "InvalidRequest"),
        ("\r\n", "InvalidRequest"),
        ("1000000000000000\r\n", "InvalidRequest"),
        ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\nextra", "InvalidRequest"),
        ("3\r\nabc", "IncompleteBody"),
        ("3\r\nabc\r\n", "IncompleteBody"),
        ("3\r\nabc\r\n0", "IncompleteBody"),
        ("", "IncompleteBody"),
        ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-meta-other:1\r\n\r\n", "MalformedTrailerError"),
        ("3\r\nabc\r\n0\r\n\r\n", "MalformedTrailerError"),
        ("3\r\nabc\r\n0\r\nno colon here\r\n\r\n", "MalformedTrailerError"),
        ("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:A\r\nx-amz-checksum-crc32:B\r\n\r\n", "MalformedTrailerError"),
    ])
    func malformedFraming(body: String, code: String) {
        var decoder = Self.unsigned()
        let error = Self.run(&decoder, Array(body.utf8))
        #expect(error?.code == code, "\(body.debugDescription)")
        #expect(error?.status == 400)
    }

    @Test func overlongLinesAreRejected() {
        var header = Self.unsigned()
        #expect(Self.run(&header, [UInt8](repeating: 0x31, count: 5000))?.code == "InvalidRequest")
        var trailer = Self.unsigned()
        let body = "0\r\nx-amz-checksum-crc32:" + String(repeating: "A", count: 5000) + "\r\n\r\n"
        #expect(Self.run(&trailer, Array(body.utf8))?.code == "MalformedTrailerError")
    }

    /// The stream may stop after its last trailer line, or after the zero-size chunk.
    @Test(arguments: [
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n",
        "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==",
        "3;chunk-signature=ignored\r\nabc\r\n0\r\nx-amz-checksum-crc32: AAAAAA== \r\n\r\n",
    ])
    func missingFinalCRLFIsTolerated(body: String) throws {
        var decoder = Self.unsigned()
        var out: [UInt8] = []
        try Array(body.utf8).withUnsafeBytes { bytes in
            try decoder.feed(bytes) { out += $0 }
        }
        #expect(try decoder.finish() == ["x-amz-checksum-crc32": "AAAAAA=="])
        #expect(out == Array("abc".utf8))

        var noTrailer = AWSChunkedDecoder(mode: .streamingUnsignedTrailer, signer: nil, expectedTrailers: [])
        #expect(Self.run(&noTrailer, Array("3\r\nabc\r\n0\r\n".utf8)) == nil)
    }

    @Test func signedChunkWithoutSignatureIsRejected() throws {
        let signer = ChunkSigner(
            secret: Fixtures.secret, amzDate: "20130524T000000Z", region: "us-east-1", seedSignature: Self.seedSignature)
        var decoder = AWSChunkedDecoder(mode: .streamingSigned, signer: signer, expectedTrailers: [])
        #expect(Self.run(&decoder, Array("3\r\nabc\r\n0\r\n\r\n".utf8))?.code == "InvalidRequest")
        var noSigner = AWSChunkedDecoder(mode: .streamingSigned, signer: nil, expectedTrailers: [])
        #expect(Self.run(&noSigner, Array("0\r\n\r\n".utf8))?.status == 500)
    }

    struct SinkFull: Error {}

    @Test func emitErrorsAreWrapped() {
        var decoder = Self.unsigned()
        let error = authError {
            try Array("3\r\nabc\r\n".utf8).withUnsafeBytes { bytes in
                try decoder.feed(bytes) { _ in throw SinkFull() }
            }
        }
        #expect(error?.code == "InternalError")
        #expect(error?.underlying is SinkFull)
    }
}
