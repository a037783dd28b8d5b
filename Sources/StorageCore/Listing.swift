/// S3's delimiter listing over a key-ordered scan, shared by ListObjects(V2) and ListMultipartUploads.
///
/// Keys under `prefix` that contain `delimiter` after the prefix roll up into one CommonPrefix;
/// a rolled-up group is skipped with one seek (no walk over its keys). Markers need not name an
/// existing key: they are positions in byte order.
public struct ListingPage<Entry: Sendable>: Sendable {
    public var entries: [Entry] = []
    public var commonPrefixes: [String] = []
    public var isTruncated = false
    /// The last key or common prefix returned (the next page's marker), when truncated.
    public var nextMarker: String?
    /// For uploads: the entry that was last returned.
    public var lastEntry: Entry?
}

public enum Listing {
    /// - Parameters:
    ///   - start: where to begin (after the marker).
    ///   - marker: the raw marker, used to skip a common prefix that the marker sits in or equals.
    ///   - fetch: a key-ordered scan of entries under `prefix` from a start position.
    public static func list<Entry: Sendable>(prefix: String, delimiter: String?, start: ScanStart?, marker: String?,
                                             maxKeys: Int, key: (Entry) -> String,
                                             resumeAfter: (Entry) -> ScanStart,
                                             fetch: (ScanStart?, Int) async throws -> [Entry]) async throws -> ListingPage<Entry> {
        var page = ListingPage<Entry>()
        // max-keys=0 asks for nothing: S3 answers no entries and IsTruncated false, whatever the bucket holds.
        if maxKeys <= 0 { return page }
        let delimiter = (delimiter?.isEmpty ?? true) ? nil : delimiter
        let prefixBytes = Array(prefix.utf8)
        var position = start
        // If the marker lies inside a rolled-up group, that group was already returned: skip it.
        if let marker, let d = delimiter, let cp = commonPrefix(of: marker, prefix: prefixBytes, delimiter: d) {
            if let after = Array(cp.utf8).prefixSuccessor { position = .atOrAfterKey(after) } else { return page }
        }
        var count = 0
        let batch = max(1, min(maxKeys + 1, 1000))
        scan: while true {
            let entries = try await fetch(position, batch)
            if entries.isEmpty { break }
            for e in entries {
                let k = key(e)
                if let d = delimiter, let cp = commonPrefix(of: k, prefix: prefixBytes, delimiter: d) {
                    if count == maxKeys { page.isTruncated = true; break scan }
                    page.commonPrefixes.append(cp)
                    page.nextMarker = cp
                    count += 1
                    guard let after = Array(cp.utf8).prefixSuccessor else { break scan }
                    position = .atOrAfterKey(after)
                    continue scan
                }
                if count == maxKeys { page.isTruncated = true; break scan }
                page.entries.append(e)
                page.lastEntry = e
                page.nextMarker = k
                count += 1
                position = resumeAfter(e)
            }
            if entries.count < batch { break }
        }
        if !page.isTruncated { page.nextMarker = nil }
        return page
    }

    /// The CommonPrefix `key` rolls up into, or nil if it has no delimiter after the prefix.
    static func commonPrefix(of key: String, prefix: [UInt8], delimiter: String) -> String? {
        let k = Array(key.utf8)
        guard k.count >= prefix.count, k.starts(with: prefix) else { return nil }
        let d = Array(delimiter.utf8)
        let rest = k[prefix.count...]
        guard d.count <= rest.count else { return nil }
        var i = rest.startIndex
        while i + d.count <= rest.endIndex {
            if k[i..<(i + d.count)].elementsEqual(d) {
                return String(decoding: k[..<(i + d.count)], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}
