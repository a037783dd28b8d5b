import Foundation

/// One byte range from a Range header (S3 serves a single range; anything it cannot parse is ignored).
package enum ByteRange: Equatable {
    case none
    case unsatisfiable
    case range(ClosedRange<Int64>)

    package static func parse(_ header: String, size: Int64) -> ByteRange {
        let h = header.trimmingCharacters(in: .whitespaces)
        guard h.lowercased().hasPrefix("bytes=") else { return .none }
        let spec = h.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        let digits: (String) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard digits(last), let n = Int64(last) else { return .none }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .range(max(0, size - n)...(size - 1))
        }
        guard digits(first), let a = Int64(first) else { return .none }
        if !last.isEmpty {
            guard digits(last), let b = Int64(last) else { return .none }
            if b < a { return .none }
            if a >= size { return .unsatisfiable }
            return .range(a...min(b, size - 1))
        }
        if a >= size { return .unsatisfiable }
        return .range(a...(size - 1))
    }
}
