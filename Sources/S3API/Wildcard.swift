/// IAM's wildcards: `*` any run of bytes (none included), `?` one byte; everything else literal. Matched
/// over bytes (never Swift `String ==`), ASCII letters folded when `caseInsensitive`. Linear in practice:
/// the classic greedy matcher with one backtrack point.
enum Wildcard {
    static func matches(_ pattern: String, _ text: [UInt8], caseInsensitive: Bool) -> Bool {
        let p = Array(pattern.utf8)
        let fold: (UInt8) -> UInt8 = { caseInsensitive && (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        var (i, j) = (0, 0)
        var star: Int? = nil
        var mark = 0
        while j < text.count {
            if i < p.count && (p[i] == UInt8(ascii: "?") || (p[i] != UInt8(ascii: "*") && fold(p[i]) == fold(text[j]))) {
                i += 1; j += 1
            } else if i < p.count && p[i] == UInt8(ascii: "*") {
                star = i; mark = j; i += 1
            } else if let s = star {
                i = s + 1; mark += 1; j = mark
            } else {
                return false
            }
        }
        while i < p.count && p[i] == UInt8(ascii: "*") { i += 1 }
        return i == p.count
    }
}
