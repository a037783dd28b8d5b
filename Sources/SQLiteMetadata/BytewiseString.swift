import Foundation

/// A String compared and hashed by its UTF-8 bytes, as SQLite compares what it stores. Swift's own
/// String == calls canonically equivalent text equal ("é" and "e\u{301}"), which would let one
/// cached value answer for another's different bytes.
struct BytewiseString: Hashable {
    let value: String

    static func == (a: BytewiseString, b: BytewiseString) -> Bool { sameBytes(a.value, b.value) }

    /// memcmp over the two strings' UTF-8 (utf8.elementsEqual walks byte by byte, generically).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a, b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } }
    }

    func hash(into hasher: inout Hasher) {
        var v = value  // withUTF8 is mutating (it may make a bridged string native)
        v.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
