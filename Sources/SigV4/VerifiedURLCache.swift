import Foundation

/// Presigned SigV4 URLs that verified, so a URL fetched again (a page's images, a video's range
/// requests, a client retrying) skips rebuilding the canonical request and its HMACs: that was about
/// a sixth of a small GET's CPU.
///
/// Only URLs whose signature covers the host alone are kept: then the signature is a function of the
/// method, host, raw path and raw query, which together are the cache key (byte for byte), and of the
/// secret, which a hit compares with the access key's current one (a changed or revoked key misses).
/// What depends on the moment or on other headers is checked again on every hit: expiry and clock
/// skew, and that no unsigned x-amz-* header came along.
final class VerifiedURLCache: @unchecked Sendable {
    struct Entry {
        var secret: String
        var requestTime: Int64
        var expires: Int64
        var auth: VerifiedAuth
    }

    /// Compared and hashed by UTF-8 bytes: String's own == calls canonically equivalent text equal
    /// ("é" and "e\u{301}" in a raw path), and those are different objects with different signatures.
    struct Key: Hashable {
        let method: String
        let host: String
        let path: String
        let query: String

        static func == (a: Key, b: Key) -> Bool {
            sameBytes(a.query, b.query) && sameBytes(a.path, b.path) && sameBytes(a.host, b.host) && sameBytes(a.method, b.method)
        }

        /// memcmp over the UTF-8 (utf8.elementsEqual walks byte by byte, generically: 3% of a small GET).
        static func sameBytes(_ a: String, _ b: String) -> Bool {
            guard a.utf8.count == b.utf8.count else { return false }
            var a = a, b = b
            return a.withUTF8 { pa in b.withUTF8 { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } }
        }

        func hash(into hasher: inout Hasher) {
            // withUTF8 is mutating (it may make a bridged string native): copies of the references.
            var m = method, h = host, p = path, q = query
            m.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(0xFF as UInt8)  // never a UTF-8 byte: keeps the fields apart
            h.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(0xFF as UInt8)
            p.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(0xFF as UInt8)
            q.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private let capacity: Int

    init(capacity: Int = 8192) {
        self.capacity = capacity
    }

    /// The key for `request`, or nil when it cannot be cached (not a host-only presigned V4 URL).
    static func key(_ request: IncomingRequest) -> Key? {
        guard request.query.utf8.count < 4096, signsHostOnly(request.query) else { return nil }
        let hosts = request.headerValues("host")
        guard hosts.count == 1 else { return nil }
        return Key(method: request.method, host: hosts[0], path: request.path, query: request.query)
    }

    /// Whether `query` has the parameter X-Amz-SignedHeaders=host (bytewise: String.contains went
    /// through Foundation, a sizeable part of a cached verification).
    static func signsHostOnly(_ query: String) -> Bool {
        var found = false
        RawQuery.forEachParameter(query[...]) { param in
            found = RawQuery.isExactly(param, "X-Amz-SignedHeaders=host")
            return !found
        }
        return found
    }

    func lookup(_ key: Key) -> Entry? {
        lock.withLock { entries[key] }
    }

    func insert(_ key: Key, _ entry: Entry) {
        lock.withLock {
            // Bounded and simple: a full cache starts over (a miss only costs a full verification).
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}
