/// Counts bytes seen by a body transformer (read after the body ended).
public final class ByteCounter: @unchecked Sendable {
    public private(set) var count: Int64 = 0
    public init() {}
    public func add(_ n: Int) { count += Int64(n) }
}
