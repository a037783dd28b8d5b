import Foundation
import ServiceLifecycle

/// Runs `pass` now and then every `interval` seconds until the service group shuts down.
package func runPeriodically(every interval: TimeInterval, _ pass: () async -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        await pass()
        try? await gracefulShutdownAwareSleep(interval)
    }
}

/// Sleeps, waking early when graceful shutdown starts.
func gracefulShutdownAwareSleep(_ seconds: TimeInterval) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(for: .seconds(seconds))
    }
}
