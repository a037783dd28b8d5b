import Logging
import ServiceLifecycle

/// Logs the moment a graceful shutdown begins (SIGTERM or SIGINT), so the log shows when the drain started and,
/// with the lines `Daemon` writes as each later step ends, which step a slow stop spent its time in.
struct ShutdownNotice: Service {
    let logger: Logger
    let drainLimit: Duration

    func run() async throws {
        guard (try? await gracefulShutdown()) != nil else { return }   // cancelled: the group is ending anyway
        logger.notice("stopping: no new connections; open requests may finish", metadata: ["within": "\(drainLimit)"])
    }
}
