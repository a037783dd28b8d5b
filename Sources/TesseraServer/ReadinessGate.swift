import NIOConcurrencyHelpers

/// Counts the listeners that accept connections and runs `whenAllRunning` once, when the last of them does:
/// the daemon is ready only when every front end it was asked to serve is.
final class ReadinessGate: Sendable {
    private let waiting: NIOLockedValueBox<Int>
    private let whenAllRunning: @Sendable () -> Void

    init(listeners: Int, whenAllRunning: @escaping @Sendable () -> Void) {
        precondition(listeners > 0)
        waiting = NIOLockedValueBox(listeners)
        self.whenAllRunning = whenAllRunning
    }

    /// One listener runs. Calls past the count (a listener restarted) change nothing.
    func listenerRunning() {
        let nowReady = waiting.withLockedValue { count -> Bool in
            guard count > 0 else { return false }
            count -= 1
            return count == 0
        }
        if nowReady { whenAllRunning() }
    }
}
