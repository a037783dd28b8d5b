import Hummingbird
import NIOConcurrencyHelpers

/// Hands a connection's requests, one at a time, from its channel handler to the connection's task,
/// which answers them in order. The task waits on a continuation; a request resumes it, and Swift runs
/// it on the event loop that resumed it (the daemon's tasks run on NIO's loops).
final class RequestMailbox: Sendable {
    struct Delivery: Sendable {
        let request: Request
        let writer: ChannelResponseWriter
    }

    private struct State {
        var waiting: CheckedContinuation<Delivery?, Never>?
        var delivered: Delivery?
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// Called by the handler, which sends one request at a time (the next only after this one's response ended).
    func deliver(_ delivery: Delivery) {
        let waiting = state.withLockedValue { state -> CheckedContinuation<Delivery?, Never>? in
            if let waiting = state.waiting {
                state.waiting = nil
                return waiting
            }
            state.delivered = delivery
            return nil
        }
        waiting?.resume(returning: delivery)
    }

    /// No more requests: the connection closed.
    func close() {
        let waiting = state.withLockedValue { state -> CheckedContinuation<Delivery?, Never>? in
            state.closed = true
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume(returning: nil)
    }

    /// The next request, or nil once the connection has closed.
    func next() async -> Delivery? {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> Delivery?? in
                if let delivered = state.delivered {
                    state.delivered = nil
                    return .some(delivered)
                }
                if state.closed { return .some(nil) }
                state.waiting = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
