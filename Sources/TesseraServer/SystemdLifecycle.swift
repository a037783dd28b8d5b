import Logging
import ServiceLifecycle

/// The daemon's side of `Type=notify` beyond READY=1 (sent by the `ReadinessGate`): `WATCHDOG=1` every half
/// `WatchdogSec` while it runs, and `STOPPING=1` as soon as a graceful shutdown begins.
struct SystemdLifecycle: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        if let interval = notifier.watchdogInterval {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    send("WATCHDOG=1")
                    try? await Task.sleep(for: interval)
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        send("STOPPING=1")
    }

    private func send(_ state: String) {
        do { try notifier.notify(state) } catch { logger.warning("systemd notification failed", metadata: ["error": "\(error)"]) }
    }
}
