import Testing

@testable import SigV4

/// The bytewise helpers the per-request query tests use, against the plain definitions.
@Suite struct RawQueryTests {
    @Test func parametersAndByteComparisons() {
        var seen: [String] = []
        RawQuery.forEachParameter("a=1&&X-Amz-Signature=ab&X-Amz-&x"[...]) { param in
            seen.append(String(decoding: param, as: UTF8.self))
            return true
        }
        #expect(seen == ["a=1", "", "X-Amz-Signature=ab", "X-Amz-", "x"])

        let prefixes: [StaticString] = ["", "X", "X-Amz-", "X-Amz-Signature=", "X-Amz-Signature=ab", "X-Amz-Signature=abc", "Y"]
        for text in seen {
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBufferPointer { buffer in
                let param = UnsafeBufferPointer(buffer)
                for prefix in prefixes {
                    let p = prefix.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
                    #expect(RawQuery.hasPrefix(param, prefix) == text.hasPrefix(p), "\(text) \(p)")
                    #expect(RawQuery.isExactly(param, prefix) == (text == p), "\(text) \(p)")
                }
            }
        }
    }
}
