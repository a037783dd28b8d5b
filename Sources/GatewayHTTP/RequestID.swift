import Synchronization
import WireFormats

/// Request IDs: 16 uppercase hex characters, unique per process run. A random start, then each ID is
/// a bijective mix (SplitMix64's finalizer) of a counter: distinct without a getrandom(2) per request.
enum RequestID {
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    static func next() -> String {
        Hex.fixedWidth(mix(counter.wrappingAdd(1, ordering: .relaxed).newValue), uppercase: true)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
