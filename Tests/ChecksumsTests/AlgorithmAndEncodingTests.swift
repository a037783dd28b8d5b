import Checksums
import Testing

@Suite struct AlgorithmAndEncodingTests {
    @Test func names() {
        #expect(ChecksumAlgorithm.crc32.headerName == "x-amz-checksum-crc32")
        #expect(ChecksumAlgorithm.crc64nvme.headerName == "x-amz-checksum-crc64nvme")
        #expect(ChecksumAlgorithm.sha256.xmlElement == "ChecksumSHA256")
        #expect(ChecksumAlgorithm.crc32c.xmlElement == "ChecksumCRC32C")
        #expect(ChecksumAlgorithm(headerName: "X-Amz-Checksum-CRC32C") == .crc32c)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-sha1") == .sha1)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-md5") == nil)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-algorithm") == nil)
        #expect(ChecksumAlgorithm(name: "crc32") == .crc32)
    }

    @Test func base64RoundTrip() {
        for n in 0..<40 {
            let bytes = StreamingTests.pseudoRandomBytes(n, seed: UInt64(n))
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decode("yglrpw==") == [0xCA, 0x09, 0x6B, 0xA7])
    }

    @Test(arguments: ["yglrpw=", "yglrpw", "ygl rpw==", "yglr-w==", "ygl_pw==", "yglrpx==", "=glrpw==", "yg=rpw==", "yglrpw==\n", "AB=C"])
    func base64RejectsNonCanonical(_ s: String) {
        #expect(Base64.decode(s) == nil)
    }
}
