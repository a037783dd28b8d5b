import Foundation
import StorageCore
import Testing
@testable import S3API

/// The x-amz-object-lock-* headers of a write, against the bucket's configuration.
@Suite struct ObjectLockHeadersTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func apply(_ headers: [String: String], lock: BucketObjectLock?) throws -> (ObjectAttributes, Bool) {
        var a = ObjectAttributes(retention: .init(mode: .compliance, retainUntil: .distantFuture), legalHold: true)  // as copied from a source
        let set = try ObjectLockHeaders.apply({ headers[$0] }, to: &a, bucketLock: lock, now: now)
        return (a, set)
    }

    func code(_ headers: [String: String], lock: BucketObjectLock? = BucketObjectLock()) -> String? {
        do { _ = try apply(headers, lock: lock); return nil } catch { return (error as? CoreError)?.code }
    }

    @Test func headersAndDefaults() throws {
        // No headers, no default: nothing (and nothing copied from elsewhere survives).
        let (none, noneSet) = try apply([:], lock: BucketObjectLock())
        #expect(none.retention == nil && none.legalHold == nil && !noneSet)
        #expect(try apply([:], lock: nil).0.retention == nil)
        // The bucket's default is the core's to give when it makes the version (from the version's
        // creation, `BucketObjectLock.newVersion`): no retention here, but the write counts as locked.
        let byDefault = BucketObjectLock(defaultRetention: .init(mode: .governance, days: 2))
        let (defaulted, defaultedSet) = try apply([:], lock: byDefault)
        #expect(defaulted.retention == nil && defaultedSet)
        // Explicit headers win; a legal hold alone leaves the retention to the default.
        let (explicit, _) = try apply(["x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00.5Z"], lock: byDefault)
        #expect(explicit.retention == ObjectRetention(mode: .compliance, retainUntil: Date(timeIntervalSince1970: 1_893_456_000.5)))
        let (held, heldSet) = try apply(["x-amz-object-lock-legal-hold": "ON"], lock: byDefault)
        #expect(held.legalHold == true && held.retention == nil && heldSet)
        #expect(try apply(["x-amz-object-lock-legal-hold": "OFF"], lock: BucketObjectLock()).0.legalHold == false)
    }

    @Test func refusals() {
        #expect(code(["x-amz-object-lock-legal-hold": "ON"], lock: nil) == "InvalidRequest")
        #expect(code(["x-amz-object-lock-mode": "GOVERNANCE"]) == "InvalidArgument")
        #expect(code(["x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"]) == "InvalidArgument")
        #expect(code(["x-amz-object-lock-mode": "LOCKED", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"]) == "InvalidArgument")
        #expect(code(["x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2020-01-01T00:00:00Z"]) == "InvalidArgument")
        #expect(code(["x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "tomorrow"]) == "InvalidArgument")
        #expect(code(["x-amz-object-lock-legal-hold": "on"]) == "InvalidArgument")
    }
}
