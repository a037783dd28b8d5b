#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network (`a.b.c.d/n`, `x::y/n`; without `/n` a single address), for the policy
/// operators IpAddress and NotIpAddress.
struct CIDR: Sendable, Equatable {
    let address: [UInt8]
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let address = Self.parse(parts[0]) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n) else { return nil }
            prefixLength = n
        } else {
            prefixLength = bits
        }
        self.address = address
    }

    /// The address's bytes (4 or 16); an IPv4-mapped IPv6 address as its IPv4 bytes.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    func contains(_ text: String) -> Bool {
        guard let other = Self.parse(text), other.count == address.count else { return false }
        var left = prefixLength
        for i in 0..<address.count where left > 0 {
            // The top `left` bits. (UInt8(0xFF << (8 - left)) shifted an Int: 0x1FE and up, a trap for any prefix
            // length that is not a multiple of 8.)
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> left)
            if address[i] & mask != other[i] & mask { return false }
            left -= 8
        }
        return true
    }
}
