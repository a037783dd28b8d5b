// libFuzzer target `frontend`: what the front ends read from the network before a handler acts, and the
// metadata column every object's headers are stored in; one binary for several small parsers, so that CI
// builds and runs one target for them (see Fuzz/fuzz.sh for the files compiled with it).
//
// Input: byte 0 picks the parser (its value modulo 11); the rest is that parser's input:
//   0...5  the S3 request head (Fuzz/S3RequestFuzz.swift): path and query decoding, endpoint resolution,
//          x-amz-copy-source and its range, conditional headers and HTTP dates, checksums and Content-MD5,
//          list markers
//   6...8  the attrs and parts.checksums columns (Fuzz/AttributesFuzz.swift)
//   9      the Worker and task APIs' JSON bodies (Fuzz/TaskAPIFuzz.swift)
//   10     bucket policies (Fuzz/PolicyFuzz.swift)

@_cdecl("LLVMFuzzerTestOneInput")
public func frontEndFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 11 {
    case 0: fuzzDecoding(input.rest())
    case 1: fuzzEndpoint(&input)
    case 2: fuzzCopySource(&input)
    case 3: fuzzConditionals(&input)
    case 4: fuzzChecksums(input.rest())
    case 5: fuzzMarkers(input.rest())
    case 6: fuzzAttributes(&input, column: 0)
    case 7: fuzzAttributes(&input, column: 1)
    case 8: fuzzAttributes(&input, column: 2)
    case 9: fuzzTaskAPI(&input)
    default: fuzzPolicy(Array(input.rest()))
    }
    return 0
}

/// S3Request holds one for handlers that read objects (its type lives with the authorizer, not fuzzed here).
final class ObjectAccessGate: @unchecked Sendable {}

/// Strings compared as bytes (`==` also takes canonically equivalent ones as equal).
func sameBytes(_ a: String?, _ b: String?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let a?, let b?): return a.utf8.elementsEqual(b.utf8)
    default: return false
    }
}

/// Every failure must be one of S3's errors, with the code the operation documents.
func expectError(_ error: any Error, _ codes: Set<String>, _ what: String) {
    guard let e = error as? CoreError else { invariant(false, "\(what): \(type(of: error)) thrown, not a CoreError"); return }
    invariant(codes.contains(e.code), "\(what): unexpected error \(e.code): \(e.message)")
    invariant(!e.message.isEmpty, "\(what): empty error message")
}
