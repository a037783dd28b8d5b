/// The known name nearest to a misspelt one, by edit distance over bytes: what a refused flag, environment
/// variable or credential file is named after ("did you mean …").
enum NearestName {
    /// The nearest of `known` (the first of equally near ones) and its distance; nil when `known` is empty.
    static func nearest(to name: [UInt8], among known: [String]) -> (name: String, distance: Int)? {
        var best: (name: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(name, Array(candidate.utf8))
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best
    }

    /// Levenshtein distance between two byte strings.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
