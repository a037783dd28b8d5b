/// Compares secrets without an early exit, so timing does not reveal how many
/// leading bytes of a guessed signature were right.
enum ConstantTime {
    static func equals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        // Lengths are public (hex digests have a fixed size), so this exit leaks nothing.
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
