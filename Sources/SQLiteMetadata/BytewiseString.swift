import Foundation
import WireFormats

/// A String compared and hashed by its UTF-8 bytes, as SQLite compares what it stores. Swift's own
/// String == calls canonically equivalent text equal ("é" and "e\u{301}"), which would let one
/// cached value answer for another's different bytes.
struct BytewiseString: Hashable {
    let value: String

    static func == (a: BytewiseString, b: BytewiseString) -> Bool { sameBytes(a.value, b.value) }

    func hash(into hasher: inout Hasher) {
        var v = value  // withUTF8 is mutating (it may make a bridged string native)
        v.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
