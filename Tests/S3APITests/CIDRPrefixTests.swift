import Testing
@testable import S3API

/// Found by the frontend fuzz target (Fuzz/corpus/frontend/regression-policy-cidr-prefix.json): the mask of a
/// prefix length that is not a multiple of 8 was computed as UInt8(0xFF << (8 - left)), an Int shift whose
/// result does not fit in UInt8: a trap. A bucket policy with `"aws:SourceIp": "10.0.0.0/12"` was accepted and
/// then stopped the daemon on the first request it was evaluated for.
@Suite struct CIDRPrefixTests {
    @Test func prefixLengthsThatAreNotMultiplesOf8() throws {
        let v4 = try #require(CIDR("10.0.0.0/12"))
        #expect(v4.contains("10.15.255.255") && !v4.contains("10.16.0.0") && !v4.contains("11.0.0.0"))
        let one = try #require(CIDR("192.0.2.128/25"))
        #expect(one.contains("192.0.2.200") && !one.contains("192.0.2.127"))
        let v6 = try #require(CIDR("2001:db8::/23"))
        #expect(v6.contains("2001:dbf:ffff::1") && !v6.contains("2001:e00::1"))
        for n in 0...32 { #expect(try #require(CIDR("255.255.255.255/\(n)")).contains("255.255.255.255")) }
        #expect(try #require(CIDR("0.0.0.0/1")).contains("127.255.255.255") && !CIDR("0.0.0.0/1")!.contains("128.0.0.0"))
    }
}
