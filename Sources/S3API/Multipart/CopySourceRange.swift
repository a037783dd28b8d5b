import StorageCore

/// UploadPartCopy's `x-amz-copy-source-range`: exactly `bytes=first-last`, zero-based and inclusive, lying
/// wholly inside the source. Unlike a GET's Range, nothing is clamped: a range that reaches past the
/// source's end is refused (400 InvalidArgument), before anything is read or stored.
enum CopySourceRange {
    static func parse(_ raw: String, sourceSize: Int64) throws -> ClosedRange<Int64> {
        let bytes = Array(raw.utf8)
        let unit = Array("bytes=".utf8)
        guard bytes.starts(with: unit) else { throw malformed(raw) }
        let spec = bytes[unit.count...]
        guard let dash = spec.firstIndex(of: UInt8(ascii: "-")),
              let first = number(spec[spec.startIndex..<dash]),
              let last = number(spec[(dash + 1)...]), first <= last else { throw malformed(raw) }
        guard last < sourceSize else {
            throw CoreError("InvalidArgument", "Range specified is not valid for source object of size: \(sourceSize)",
                            details: [.init("ArgumentName", "x-amz-copy-source-range"), .init("ArgumentValue", raw)])
        }
        return first...last
    }

    /// A non-empty run of ASCII digits that fits in Int64.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
    }

    private static func malformed(_ raw: String) -> CoreError {
        CoreError("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                  details: [.init("ArgumentName", "x-amz-copy-source-range"), .init("ArgumentValue", raw)])
    }
}
