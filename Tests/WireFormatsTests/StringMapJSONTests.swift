import Foundation
import Testing
import WireFormats

@Suite struct StringMapJSONTests {
    func decode(_ s: String) -> [String: String]? {
        Array(s.utf8).withUnsafeBytes { StringMapJSON.decode($0) }
    }

    func encode(_ m: [String: String]) -> String {
        var out: [UInt8] = []
        StringMapJSON.append(m, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func writesWhatJSONEncoderWritesForChecksums() throws {
        let m = ["CRC64NVME": "ftW+pkq+STY=", "CRC32": "a/b=", "SHA256": "x"]
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        #expect(encode(m) == String(decoding: try e.encode(m), as: UTF8.self))
        #expect(encode([:]) == "{}")
    }

    /// Random maps of awkward strings: written, then read back by this reader and by JSONDecoder alike.
    @Test func roundTripsAndAgreesWithJSONDecoder() throws {
        var g = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "Z", "0", "\"", "\\", "/", "\n", "\u{1}", "\u{1F}", " ", "é", "e\u{301}", "😀", "+", "="]
        for _ in 0..<2_000 {
            var m: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &g) {
                let k = (0..<Int.random(in: 0...6, using: &g)).map { _ in alphabet.randomElement(using: &g)! }.joined()
                m[k] = (0..<Int.random(in: 0...8, using: &g)).map { _ in alphabet.randomElement(using: &g)! }.joined()
            }
            let text = encode(m)
            let mine = try #require(decode(text), "\(text)")
            let theirs = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            // Byte-wise: "é" and "e\u{301}" are different names.
            #expect(mine.map { (Array($0.key.utf8), Array($0.value.utf8)) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
                    == theirs.map { (Array($0.key.utf8), Array($0.value.utf8)) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1))
            #expect(mine.count == m.count)
        }
    }

    /// Anything the writer does not write is left to a full parser (nil), never misread.
    @Test func refusesWhatItDoesNotWrite() {
        for text in ["", "{", "}", "[]", "{ }", "{\"a\": \"b\"}", "{\"a\":\"b\",}", "{\"a\":\"b\"}x", "{\"a\":\"b\",\"a\":\"c\"}",
                     "{\"a\":1}", "{\"a\":\"\\n\"}", "{\"a\":\"\\u0041\"}", "{\"a\":\"\u{1}\"}", "{\"a\":\"b\"", "{\"a\"}", "{\"a\":\"\\"] {
            #expect(decode(text) == nil, "\(text)")
        }
        #expect(Array([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D] as [UInt8]).withUnsafeBytes { StringMapJSON.decode($0) } == nil)
        #expect(decode("{\"a\":\"\\u001f\\/\\\\\\\"\"}") == ["a": "\u{1F}/\\\""])
    }
}
