import Testing
import WireFormats

@Suite struct HexTests {
    @Test func encodesTwoDigitsAByte() {
        #expect(Hex.encode([]) == "")
        #expect(Hex.encode([0x00, 0x0f, 0xab, 0xff]) == "000fabff")
        #expect(Hex.encode([0x00, 0x0f, 0xab, 0xff], uppercase: true) == "000FABFF")
        var out = Array("x".utf8)
        Hex.append([0x9a], to: &out)
        #expect(out == Array("x9a".utf8))
    }

    @Test func everyByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        let lower = Hex.encode(all)
        #expect(lower.utf8.count == 512)
        #expect(Hex.decode(lower) == all)
        #expect(Hex.decode(Hex.encode(all, uppercase: true)) == all)
        #expect(Hex.isHex(lower, count: 512))
    }

    @Test func digitsAndValues() {
        for n in UInt8(0)...15 {
            #expect(Hex.value(Hex.digit(n)) == n)
            #expect(Hex.value(Hex.digit(n, uppercase: true)) == n)
        }
        let digits = Set("0123456789abcdefABCDEF".utf8)
        for b in UInt8(0)...255 where !digits.contains(b) { #expect(Hex.value(b) == nil) }
    }

    @Test func fixedWidthIsSixteenDigits() {
        #expect(Hex.fixedWidth(0) == "0000000000000000")
        #expect(Hex.fixedWidth(0x1f) == "000000000000001f")
        #expect(Hex.fixedWidth(0x0123_4567_89ab_cdef, uppercase: true) == "0123456789ABCDEF")
        #expect(Hex.fixedWidth(.max) == "ffffffffffffffff")
    }

    @Test func decodeRefusesOddCountsAndOtherCharacters() {
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("aBc0") == [0xab, 0xc0])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("a ") == nil)
        #expect(Hex.decode("+f") == nil)
        var out: [UInt8] = [1, 2]
        #expect(Hex.decode("0304", appendingTo: &out))
        #expect(out == [1, 2, 3, 4])
        #expect(!Hex.decode("05g6", appendingTo: &out))
        #expect(out == [1, 2, 3, 4])
    }

    /// A String and a Substring of the same text decode alike (a Substring goes through a String copy),
    /// appended output and refusals alike, and the String path decodes and refuses as it should.
    @Test func stringAndGenericDecodeAgree() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEFgx -é".unicodeScalars)
        for n in 0..<2000 {
            let text = String(String.UnicodeScalarView((0..<(n % 40)).map { _ in alphabet.randomElement(using: &g)! }))
            var fromString: [UInt8] = [1, 2], fromGeneric: [UInt8] = [1, 2]
            let a = Hex.decode(text, appendingTo: &fromString)
            let b = Hex.decode(Substring(text), appendingTo: &fromGeneric)
            #expect(a == b && fromString == fromGeneric, "\(text)")
        }
        var out: [UInt8] = []
        #expect(Hex.decode("00ff7F", appendingTo: &out) && out == [0, 255, 127])
        #expect(!Hex.decode("00f", appendingTo: &out) && out == [0, 255, 127])
    }

    @Test func isHexCountsDigits() {
        #expect(Hex.isHex("00ff", count: 4))
        #expect(!Hex.isHex("00ff", count: 3))
        #expect(!Hex.isHex("00fg", count: 4))
        #expect(Hex.isHex("", count: 0))
    }
}
