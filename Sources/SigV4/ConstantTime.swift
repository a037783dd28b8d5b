/// Compares secrets without an early exit, so timing does not reveal how many
/// leading bytes of a guessed signature were right.
enum ConstantTime {
    static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }

    static func equals(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        // Lengths are public (hex digests have a fixed size), so this exit leaks nothing.
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// `expected` (lowercase hex) against a client's hex, whose letters may be of either case.
    static func equals(_ expected: [UInt8], hexIgnoringCase provided: String) -> Bool {
        guard expected.count == provided.utf8.count else { return false }
        var diff: UInt8 = 0
        for (i, byte) in provided.utf8.enumerated() { diff |= expected[i] ^ ASCII.lower(byte) }
        return diff == 0
    }
}
