import Foundation
import NIOConcurrencyHelpers
import WireFormats

/// The Date header every response carries (RFC 9110 §6.6.1; SDKs correct their clock skew from it),
/// formatted once a second and shared by every connection.
enum ResponseDateHeader {
    private static let cache = NIOLockedValueBox((second: Int64.min, text: ""))

    static var now: String {
        let second = Int64(Date().timeIntervalSince1970)
        return cache.withLockedValue { cached in
            if cached.second != second { cached = (second, HTTPDate.format(second)) }
            return cached.text
        }
    }
}
