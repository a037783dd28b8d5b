import Foundation
import GatewayHTTP
import Logging
import S3API
import S3XML
import ServiceLifecycle
import StorageCore

/// Aborts incomplete multipart uploads: after the server-wide age, or sooner where a bucket's
/// lifecycle configuration has an AbortIncompleteMultipartUpload rule for the upload's key. Also forgets
/// completions older than `Storage.completedUploadRetention` (a day), which answer retried completions.
struct UploadSweeper: Service {
    let storage: Storage
    let maxAge: TimeInterval
    let interval: TimeInterval
    let logger: Logger

    func run() async throws {
        await runPeriodically(every: interval) { await sweepOnce() }
    }

    func sweepOnce(now: Date = Date()) async {
        do {
            var n = try await storage.abortUploads(initiatedBefore: now.addingTimeInterval(-maxAge))
            // Bucket rules may be shorter than the server-wide age.
            for bucket in try await storage.listBuckets() {
                guard let doc = try await storage.metadata.bucketConfig(bucket: bucket.name, name: S3Service.lifecycleConfig),
                      let rules = try? S3RequestXML.lifecycleConfiguration(Array(doc.utf8)) else { continue }
                let active = rules.filter { $0.enabled && $0.abortIncompleteDays != nil }
                guard let shortest = active.compactMap(\.abortIncompleteDays).min() else { continue }
                n += try await storage.abortUploads(initiatedBefore: now.addingTimeInterval(-Double(shortest) * 86400)) { u in
                    u.bucket == bucket.name && active.contains { r in
                        u.key.hasPrefix(r.prefix) && u.initiated < now.addingTimeInterval(-Double(r.abortIncompleteDays!) * 86400)
                    }
                }
            }
            if n > 0 { logger.info("aborted incomplete uploads", metadata: ["count": "\(n)"]) }
            let forgotten = try await storage.forgetCompletedUploads(now: now)
            ServerMetrics.sweeperRun("uploads", removed: ["uploads": n, "completed_uploads": forgotten])
        } catch {
            logger.error("upload sweeper failed", metadata: ["error": "\(error)"])
            ServerMetrics.sweeperRun("uploads", failed: true)
        }
    }
}
