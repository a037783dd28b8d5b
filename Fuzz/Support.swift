// Shared by every harness in Fuzz/ (compiled into each fuzzer binary; see Fuzz/fuzz.sh).

/// Stops the run when a property of the code under test does not hold. libFuzzer saves the input
/// that got here as a crash artifact, exactly as for a trap or a sanitizer report.
@inline(never)
func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
}

/// Small deterministic generator (SplitMix64), so a crash input always replays the same way.
struct FuzzRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform-ish in 0...bound.
    mutating func upTo(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next() % UInt64(bound + 1))
    }
}

/// Reads a fuzz input front to back; reading past the end yields zeros / empty slices.
struct FuzzInput {
    let bytes: [UInt8]
    var position = 0

    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return bytes[position..<end]
    }

    mutating func rest() -> ArraySlice<UInt8> { take(remaining) }
}

/// Splits on LF, dropping one CR before each LF, so seed files may use either line ending.
func fuzzLines(_ bytes: ArraySlice<UInt8>) -> [String] {
    bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map { line in
        let trimmed = line.last == 0x0d ? line.dropLast() : line
        return String(decoding: trimmed, as: UTF8.self)
    }
}
