import Foundation

/// The digests of a body, set once by its iterator when the body has ended and verified.
public final class DigestsBox: @unchecked Sendable {
    private var value: BodyDigests?
    private let lock = NSLock()

    public init() {}

    public var isSet: Bool { lock.withLock { value != nil } }
    public func set(_ digests: BodyDigests) { lock.withLock { value = digests } }
    public func get() throws -> BodyDigests {
        guard let v = lock.withLock({ value }) else { throw CoreError.bodyNotFinished }
        return v
    }
}
