import Foundation

/// The first of several answers to one continuation; later ones are dropped.
final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Result<T, any Error>, Never>?
    private var given = false

    func set(_ c: CheckedContinuation<Result<T, any Error>, Never>) { lock.withLock { continuation = c } }

    var isGiven: Bool { lock.withLock { given } }

    func give(_ result: Result<T, any Error>) {
        let c: CheckedContinuation<Result<T, any Error>, Never>? = lock.withLock {
            guard !given else { return nil }
            given = true
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: result)
    }
}
