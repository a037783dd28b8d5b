#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether two Strings hold the same UTF-8 bytes. Swift's `==` also calls canonically equivalent text
/// equal ("é" and "e\u{301}"), and `utf8.elementsEqual` walks byte by byte through the generic index
/// (16% of a 10,000-part completion's validation): this compares lengths, then memcmp.
public func sameBytes(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    var a = a, b = b   // withUTF8 is mutating (it may make a bridged string native)
    return a.withUTF8 { pa in b.withUTF8 { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } }
}
