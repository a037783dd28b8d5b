// libFuzzer target: the Range header parser, `ByteRange.parse` (Sources/GatewayHTTP/ByteRange.swift,
// which needs only Foundation: Fuzz/fuzz.sh compiles it together with this harness).
//
// Input: byte 0 < 0x80: the object size is that byte (0...127, where the edge cases are);
//        otherwise the next 8 bytes (little endian, sign bit cleared) are the size.
//        The rest is the header value.

@_cdecl("LLVMFuzzerTestOneInput")
public func rangeFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let first = input.byte()
    var objectSize = Int64(first)
    if first >= 0x80 {
        var raw: UInt64 = 0
        for (i, b) in input.take(8).enumerated() { raw |= UInt64(b) << (8 * UInt64(i)) }
        objectSize = Int64(bitPattern: raw & UInt64(Int64.max))
    }
    let header = String(decoding: input.rest(), as: UTF8.self)

    let result = ByteRange.parse(header, size: objectSize)
    switch result {
    case .none:
        break
    case .unsatisfiable:
        // Only a syntactically valid single range can be unsatisfiable.
        invariant(header.contains("-"), "unsatisfiable without a '-'")
    case .range(let r):
        invariant(objectSize > 0, "a range of an empty object")
        invariant(r.lowerBound >= 0 && r.upperBound < objectSize, "range \(r) outside 0..<\(objectSize)")
        invariant(!header.contains(","), "a multi-range header served as one range")
    }
    // The parse is a pure function of its inputs.
    invariant(ByteRange.parse(header, size: objectSize) == result, "parse is not deterministic")
    return 0
}
