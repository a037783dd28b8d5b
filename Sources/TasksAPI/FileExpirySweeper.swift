import Foundation
import GatewayHTTP
import Logging
import ServiceLifecycle
import StorageCore

/// Removes task-API files whose expired_at has passed.
package struct FileExpirySweeper: Service {
    let storage: Storage
    let tasks: any TaskStore
    let interval: TimeInterval
    let logger: Logger

    package init(storage: Storage, tasks: any TaskStore, interval: TimeInterval, logger: Logger) {
        self.storage = storage
        self.tasks = tasks
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await runPeriodically(every: interval) { await sweepOnce() }
    }

    func sweepOnce(now: Date = Date()) async {
        do {
            var removed = 0
            for f in try await tasks.files(expiringBefore: now, limit: 1000) {
                try await storage.deleteObject(bucket: f.bucket, key: f.key)
                try await tasks.deleteFile(id: f.id)
                removed += 1
            }
            if removed > 0 { logger.info("removed expired files", metadata: ["count": "\(removed)"]) }
            ServerMetrics.sweeperRun("files", removed: ["files": removed])
        } catch {
            logger.error("file expiry sweep failed", metadata: ["error": "\(error)"])
            ServerMetrics.sweeperRun("files", failed: true)
        }
    }
}
