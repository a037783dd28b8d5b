import Foundation
import PostgresNIO

/// One bounded call's progress, shared by its work and its timer under a lock: the connection it holds
/// (to close it when abandoned) and whether its COMMIT was sent.
final class BoundedCall: @unchecked Sendable {
    enum Phase { case working, committing, abandoned }

    private let lock = NSLock()
    private var _phase = Phase.working
    private var connection: PostgresConnection?

    var phase: Phase { lock.withLock { _phase } }

    struct Abandoned: Error {}

    /// The work got `c`; throws if the call was abandoned meanwhile (the connection goes back unused).
    func attach(_ c: PostgresConnection) throws {
        try lock.withLock {
            guard _phase != .abandoned else { throw Abandoned() }
            connection = c
        }
    }

    /// Called just before COMMIT is sent: throws if the call was abandoned (the transaction is rolled back).
    func beginCommit() throws {
        try lock.withLock {
            guard _phase == .working else { throw Abandoned() }
            _phase = .committing
        }
    }

    /// The COMMIT was answered with an error: the transaction rolled back and may run again.
    func rolledBack() {
        lock.withLock { if _phase == .committing { _phase = .working } }
    }

    /// The timer gave up on the call: the phase it was in, and its connection.
    func abandon() -> (Phase, PostgresConnection?) {
        lock.withLock {
            let was = _phase
            _phase = .abandoned
            return (was, connection)
        }
    }
}
