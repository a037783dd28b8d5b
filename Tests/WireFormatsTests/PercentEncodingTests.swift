import Testing
import WireFormats

@Suite struct PercentEncodingTests {
    @Test func encodesAllButUnreserved() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("a b/c+d=e&f") == "a%20b%2Fc%2Bd%3De%26f")
        #expect(PercentEncoding.encode("a b/c", keepingSlash: true) == "a%20b/c")
        #expect(PercentEncoding.encode("a b/ä+~", keepingSlash: true) == "a%20b/%C3%A4%2B~")  // S3's encoding-type=url
        #expect(PercentEncoding.encode("naïve") == "na%C3%AFve")
        #expect(PercentEncoding.encode([0x00, 0xff]) == Array("%00%FF".utf8))
    }

    @Test func everyByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        for keepingSlash in [false, true] {
            let encoded = PercentEncoding.encode(all, keepingSlash: keepingSlash)
            #expect(PercentEncoding.decode(encoded, plusIsSpace: false) == all)
            #expect(PercentEncoding.decode(encoded, plusIsSpace: true) == all)
            #expect(PercentEncoding.decodeLeniently(encoded, plusIsSpace: true) == all)
        }
    }

    @Test func decodes() {
        #expect(PercentEncoding.decode("a%20b%2f%2F".utf8, plusIsSpace: false) == Array("a b//".utf8))
        #expect(PercentEncoding.decode("a+b".utf8, plusIsSpace: true) == Array("a b".utf8))
        #expect(PercentEncoding.decode("a+b".utf8, plusIsSpace: false) == Array("a+b".utf8))
        #expect(PercentEncoding.decode("%2B".utf8, plusIsSpace: true) == Array("+".utf8))
        #expect(PercentEncoding.decode("".utf8, plusIsSpace: true) == [])
    }

    @Test func strictDecodeRefusesMalformedEscapes() {
        for bad in ["%", "%2", "a%2", "%zz", "%2g", "%%", "%+1"] {
            #expect(PercentEncoding.decode(bad.utf8, plusIsSpace: true) == nil, "\(bad)")
            #expect(PercentEncoding.decodeUTF8(bad.utf8, plusIsSpace: true) == nil, "\(bad)")
        }
    }

    @Test func lenientDecodeKeepsMalformedEscapes() {
        #expect(PercentEncoding.decodeLeniently("%zz%2".utf8, plusIsSpace: false) == Array("%zz%2".utf8))
        #expect(PercentEncoding.decodeLeniently("100%+%41".utf8, plusIsSpace: true) == Array("100% A".utf8))
        #expect(PercentEncoding.decodeLeniently("%".utf8, plusIsSpace: false) == Array("%".utf8))
    }

    @Test func decodeUTF8RefusesInvalidUTF8() {
        #expect(PercentEncoding.decodeUTF8("na%C3%AFve".utf8, plusIsSpace: false) == "naïve")
        #expect(PercentEncoding.decodeUTF8("plain".utf8, plusIsSpace: true) == "plain")
        #expect(PercentEncoding.decodeUTF8("%FF".utf8, plusIsSpace: false) == nil)
        #expect(PercentEncoding.decodeUTF8("%C3".utf8, plusIsSpace: false) == nil)
        #expect(PercentEncoding.decodeUTF8([0x61, 0xff], plusIsSpace: false) == nil)
    }

    /// `reencode` is `encode(decodeLeniently(_:))` in one pass: checked on the cases that differ (malformed
    /// and lowercase escapes, '+', bytes that are not UTF-8) and on 20,000 random strings of those pieces.
    @Test func reencodeIsEncodeOfTheLenientDecode() {
        func twoPass(_ bytes: [UInt8], _ plus: Bool) -> [UInt8] {
            PercentEncoding.encode(PercentEncoding.decodeLeniently(bytes, plusIsSpace: plus))
        }
        func onePass(_ bytes: [UInt8], _ plus: Bool) -> [UInt8] {
            var out: [UInt8] = []
            PercentEncoding.reencode(bytes, plusIsSpace: plus, into: &out)
            return out
        }
        #expect(onePass(Array("a%2fb+c%zz%4".utf8), true) == Array("a%2Fb%20c%25zz%254".utf8))
        #expect(onePass(Array("a%2fb+c".utf8), false) == Array("a%2Fb%2Bc".utf8))
        #expect(onePass(Array("%41%7e~".utf8), true) == Array("A~~".utf8))
        let pieces: [[UInt8]] = ["%", "%2", "%2f", "%2F", "%zz", "+", "a", "~", "/", "=", "&", "%C3%A4", "ä", "%ff"].map { Array($0.utf8) } + [[0xff], [0x00]]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...8, using: &rng)).flatMap { _ in pieces.randomElement(using: &rng)! }
            for plus in [false, true] {
                #expect(onePass(bytes, plus) == twoPass(bytes, plus), "\(bytes)")
            }
        }
    }
}
