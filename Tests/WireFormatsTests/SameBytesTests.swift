import Testing
import WireFormats

@Suite struct SameBytesTests {
    @Test func bytesDecideNotCanonicalEquivalence() {
        #expect(sameBytes("", ""))
        #expect(sameBytes("abc", "abc"))
        #expect(sameBytes("\u{E9}", "\u{E9}"))
        #expect(!sameBytes("\u{E9}", "e\u{301}"))        // == would call these equal
        #expect("\u{E9}" == "e\u{301}")
        #expect(!sameBytes("k", "\u{212A}"))
        #expect(!sameBytes("abc", "abd"))
        #expect(!sameBytes("abc", "ab"))
        #expect(!sameBytes("", "a"))
        let long = String(repeating: "x", count: 100)    // past the small-string form
        #expect(sameBytes(long, String(repeating: "x", count: 100)))
        #expect(!sameBytes(long, String(repeating: "x", count: 99) + "y"))
        #expect(sameBytes(String(Substring(long).dropFirst()), String(repeating: "x", count: 99)))
    }
}
