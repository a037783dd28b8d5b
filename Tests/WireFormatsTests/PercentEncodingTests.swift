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
}
