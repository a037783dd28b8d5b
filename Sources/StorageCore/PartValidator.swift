import Crypto
import Foundation
import WireFormats

/// The one multipart validator every front end uses. Part-number and maximum-size checks happen
/// at UploadPart; order, existence, ETag, minimum and equal-size rules at Complete — where S3
/// reports them.
public struct PartValidator: Sendable {
    public var limits: LimitProfile
    public init(limits: LimitProfile) { self.limits = limits }

    public func checkPartNumber(_ n: Int) throws {
        guard (1...limits.maxParts).contains(n) else {
            throw CoreError.invalidArgument("Part number must be an integer between 1 and \(limits.maxParts), inclusive",
                                            name: "partNumber", value: String(n))
        }
    }

    public func checkPartSize(_ size: Int64) throws {
        if size > limits.maxPartSize { throw entityTooLarge(size, limits.maxPartSize) }
    }

    public func checkPutSize(_ size: Int64) throws {
        if size > limits.maxPutSize { throw entityTooLarge(size, limits.maxPutSize) }
    }

    func entityTooLarge(_ size: Int64, _ max: Int64) -> CoreError {
        CoreError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                  details: [.init("ProposedSize", String(size)), .init("MaxSizeAllowed", String(max))])
    }

    /// Checks the client's part list against the stored parts; returns the parts to assemble, in order.
    public func validateCompletion(requested: [(partNumber: Int, etag: String)], stored: [PartRecord]) throws -> [PartRecord] {
        guard !requested.isEmpty else {
            throw CoreError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        }
        if requested.count > limits.maxParts {
            throw CoreError.invalidArgument("Part count must not exceed \(limits.maxParts)")
        }
        var previous = 0
        for r in requested {
            if r.partNumber <= previous {
                throw CoreError("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
            }
            previous = r.partNumber
        }
        // The store lists parts in ascending part order and the request was just checked to be ascending,
        // so one merge walk finds them; a dictionary only for a list in any other order.
        let ascending = zip(stored, stored.dropFirst()).allSatisfy { $0.partNumber < $1.partNumber }
        let byNumber = ascending ? [:] : Dictionary(stored.map { ($0.partNumber, $0) }, uniquingKeysWith: { a, _ in a })
        var next = stored.startIndex
        func part(_ number: Int) -> PartRecord? {
            guard ascending else { return byNumber[number] }
            while next < stored.endIndex && stored[next].partNumber < number { next += 1 }
            return next < stored.endIndex && stored[next].partNumber == number ? stored[next] : nil
        }
        var chosen: [PartRecord] = []
        chosen.reserveCapacity(requested.count)
        for r in requested {
            guard let p = part(r.partNumber), sameBytes(p.etag, Self.normalizeETag(r.etag)) else {
                throw CoreError("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                                details: [.init("UploadId", ""), .init("PartNumber", String(r.partNumber)), .init("ETag", r.etag)].filter { !$0.value.isEmpty })
            }
            chosen.append(p)
        }
        var total: Int64 = 0
        for i in chosen.indices {
            let p = (size: chosen[i].size, partNumber: chosen[i].partNumber)   // not the whole PartRecord
            total += p.size
            let isLast = i == chosen.count - 1
            if !isLast && p.size < limits.minPartSize {
                throw CoreError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                                details: [.init("ProposedSize", String(p.size)), .init("MinSizeAllowed", String(limits.minPartSize)),
                                          .init("PartNumber", String(p.partNumber)), .init("ETag", chosen[i].etag)])
            }
            if limits.equalPartSizes && !isLast && p.size != chosen[0].size {
                throw CoreError("InvalidPart", "All non-trailing parts must have the same length (part \(p.partNumber) is \(p.size) bytes, part \(chosen[0].partNumber) is \(chosen[0].size) bytes).",
                                details: [.init("PartNumber", String(p.partNumber))])
            }
            if limits.equalPartSizes && isLast && chosen.count > 1 && p.size > chosen[0].size {
                throw CoreError("InvalidPart", "The last part must not be larger than the other parts (part \(p.partNumber) is \(p.size) bytes, others are \(chosen[0].size)).",
                                details: [.init("PartNumber", String(p.partNumber))])
            }
        }
        if total > limits.maxObjectSize { throw entityTooLarge(total, limits.maxObjectSize) }
        return chosen
    }

    /// Strips the spaces and tabs, then the quotes (or their escaped forms, already decoded by the XML
    /// parser) around an ETag, and folds ASCII capitals: as bytes, so no Unicode case mapping or
    /// equivalence can make another text equal a stored ETag (U+212A KELVIN SIGN lowercases to "k").
    public static func normalizeETag(_ etag: String) -> String {
        var copy = etag
        return copy.withUTF8 { u -> String in
            let (lo, hi) = normalizedBounds(u)
            if lo == 0 && hi == u.count && !u.contains(where: isASCIIUpper) { return etag }   // already normal: no copy
            return String(unsafeUninitializedCapacity: hi - lo) { out in
                for i in lo..<hi { out[i - lo] = isASCIIUpper(u[i]) ? u[i] | 0x20 : u[i] }
                return hi - lo
            }
        }
    }

    /// `normalizeETag(etag)`'s bytes, appended to `bytes` (no String made).
    public static func appendNormalizedETag(_ etag: String, to bytes: inout [UInt8]) {
        var copy = etag
        copy.withUTF8 { u in
            let (lo, hi) = normalizedBounds(u)
            for i in lo..<hi { bytes.append(isASCIIUpper(u[i]) ? u[i] | 0x20 : u[i]) }
        }
    }

    /// The ETag within `u`: spaces and tabs, then one quote, taken off each end.
    private static func normalizedBounds(_ u: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        var lo = 0, hi = u.count
        while lo < hi && (u[lo] == 0x20 || u[lo] == 0x09) { lo += 1 }
        while hi > lo && (u[hi - 1] == 0x20 || u[hi - 1] == 0x09) { hi -= 1 }
        if lo < hi && u[lo] == UInt8(ascii: "\"") { lo += 1 }
        if lo < hi && u[hi - 1] == UInt8(ascii: "\"") { hi -= 1 }
        return (lo, hi)
    }

    private static func isASCIIUpper(_ b: UInt8) -> Bool { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }

    /// `s.trimmingCharacters(in: .whitespaces)`, without Foundation when `s` is ASCII (space and tab are
    /// the ASCII members of that set).
    public static func trimmingWhitespaces(_ s: String) -> String {
        var copy = s
        let ascii = copy.withUTF8 { u -> String? in
            if u.contains(where: { $0 >= 0x80 }) { return nil }
            var lo = 0, hi = u.count
            while lo < hi && (u[lo] == 0x20 || u[lo] == 0x09) { lo += 1 }
            while hi > lo && (u[hi - 1] == 0x20 || u[hi - 1] == 0x09) { hi -= 1 }
            return lo == 0 && hi == u.count ? s : String(decoding: UnsafeBufferPointer(rebasing: u[lo..<hi]), as: UTF8.self)
        }
        return ascii ?? s.trimmingCharacters(in: .whitespaces)
    }

    /// S3's multipart ETag: hex(MD5(concatenated binary part MD5s)) + "-N".
    public static func multipartETag(_ parts: [PartRecord]) -> String {
        // The MD5s side by side in one buffer, hashed once (not one array and one update per part).
        var binary: [UInt8] = []
        binary.reserveCapacity(parts.count * 16)
        // Part ETags are the hex MD5s this store wrote.
        for p in parts { _ = Hex.decode(p.etag, appendingTo: &binary) }
        return Hex.encode(Insecure.MD5.hash(data: binary)) + "-\(parts.count)"
    }
}
