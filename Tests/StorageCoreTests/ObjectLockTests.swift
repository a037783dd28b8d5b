import Foundation
import Testing
@testable import StorageCore

/// Object Lock: the rules (`ObjectLock`, default retention arithmetic) and their enforcement over both
/// stores (deletes by version refused in the store's transaction, the bypass, markers still made, blobs
/// kept by the collector and by `fsck --repair`).
@Suite struct ObjectLockTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func record(retention: ObjectRetention? = nil, legalHold: Bool? = nil) -> ObjectRecord {
        ObjectRecord(bucket: "b", key: "k", version: 1, size: 0, etag: "", lastModified: now,
                     attributes: ObjectAttributes(retention: retention, legalHold: legalHold), partsCount: nil, versioned: true)
    }

    func denied(_ body: () throws -> Void) -> Bool {
        do { try body(); return false } catch { return (error as? CoreError)?.code == "AccessDenied" }
    }

    @Test func defaultRetentionArithmetic() throws {
        let days = BucketObjectLock.DefaultRetention(mode: .governance, days: 3).retention(from: now)
        #expect(days.mode == .governance && days.retainUntil == now.addingTimeInterval(3 * 86_400))
        // Years are calendar years in UTC: 2027-01-15 + 1 year is 2028-01-15, across 2027's 365 days;
        // 2028-01-15 + 1 year crosses 29 February 2028: 366 days.
        let jan2027 = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 86_400))
        let oneYear = BucketObjectLock.DefaultRetention(mode: .compliance, years: 1)
        let first = oneYear.retention(from: jan2027).retainUntil
        #expect(first.timeIntervalSince(jan2027) == 365 * 86_400)
        #expect(oneYear.retention(from: first).retainUntil.timeIntervalSince(first) == 366 * 86_400)
        // Kept to whole milliseconds, as S3 answers them.
        let odd = ObjectRetention(mode: .governance, retainUntil: Date(timeIntervalSince1970: 1.23456789))
        #expect(abs(odd.retainUntil.timeIntervalSince1970 - 1.234) < 1e-6)
        // The stored form decodes back, and a damaged one is refused, not read as "no lock".
        let lock = BucketObjectLock(defaultRetention: oneYear)
        #expect(try BucketObjectLock(stored: lock.stored) == lock)
        #expect(try BucketObjectLock(stored: nil) == nil)
        #expect(throws: CoreError.self) { _ = try BucketObjectLock(stored: "Enabled") }
    }

    @Test func aNewVersionGetsTheDefaultRetentionFromItsCreation() {
        let lock = BucketObjectLock(defaultRetention: .init(mode: .compliance, days: 2))
        let created = now.addingTimeInterval(3_600)
        #expect(lock.newVersion(ObjectAttributes(), created: created).retention == ObjectRetention(mode: .compliance, retainUntil: created.addingTimeInterval(2 * 86_400)))
        // The write's own retention stays; a legal hold alone still gets the default; no default: nothing.
        let own = ObjectRetention(mode: .governance, retainUntil: now.addingTimeInterval(60))
        #expect(lock.newVersion(ObjectAttributes(retention: own), created: created).retention == own)
        let held = lock.newVersion(ObjectAttributes(legalHold: true), created: created)
        #expect(held.legalHold == true && held.retention?.mode == .compliance)
        #expect(BucketObjectLock().newVersion(ObjectAttributes(), created: created).retention == nil)
    }

    @Test func deletionRules() {
        let later = now.addingTimeInterval(60), earlier = now.addingTimeInterval(-60)
        let governance = record(retention: .init(mode: .governance, retainUntil: later))
        let compliance = record(retention: .init(mode: .compliance, retainUntil: later))
        #expect(denied { try ObjectLock.checkDeletion(governance, at: now, bypassGovernance: false) })
        #expect(!denied { try ObjectLock.checkDeletion(governance, at: now, bypassGovernance: true) })
        #expect(denied { try ObjectLock.checkDeletion(compliance, at: now, bypassGovernance: true) })
        #expect(!denied { try ObjectLock.checkDeletion(record(retention: .init(mode: .compliance, retainUntil: earlier)), at: now, bypassGovernance: false) })
        #expect(denied { try ObjectLock.checkDeletion(record(legalHold: true), at: now, bypassGovernance: true) })
        #expect(!denied { try ObjectLock.checkDeletion(record(legalHold: false), at: now, bypassGovernance: false) })
        #expect(!denied { try ObjectLock.checkDeletion(record(), at: now, bypassGovernance: false) })
        // Only the bucket's owner who asks may bypass.
        #expect(ObjectLock.mayBypassGovernance(requested: true, callerOwnsBucket: true))
        #expect(!ObjectLock.mayBypassGovernance(requested: true, callerOwnsBucket: false))
        #expect(!ObjectLock.mayBypassGovernance(requested: false, callerOwnsBucket: true))
    }

    @Test func retentionChangeRules() {
        let (t1, t2) = (now.addingTimeInterval(60), now.addingTimeInterval(120))
        func change(_ old: ObjectRetention?, _ new: ObjectRetention?, bypass: Bool = false) -> Bool {
            !denied { try ObjectLock.checkRetentionChange(from: old, to: new, at: now, bypassGovernance: bypass) }
        }
        let c1 = ObjectRetention(mode: .compliance, retainUntil: t1), c2 = ObjectRetention(mode: .compliance, retainUntil: t2)
        let g1 = ObjectRetention(mode: .governance, retainUntil: t1), g2 = ObjectRetention(mode: .governance, retainUntil: t2)
        #expect(change(nil, g1) && change(nil, c1))
        // COMPLIANCE: extended only; never shortened, removed or made GOVERNANCE, bypass or not.
        #expect(change(c1, c2) && change(c1, c1))
        #expect(!change(c2, c1, bypass: true) && !change(c1, nil, bypass: true) && !change(c1, g2, bypass: true))
        // GOVERNANCE: extended or made COMPLIANCE freely; shortened or removed only with the bypass.
        #expect(change(g1, g2) && change(g1, c1) && change(g1, c2))
        #expect(!change(g2, g1) && !change(g1, nil) && !change(g2, c1))
        #expect(change(g2, g1, bypass: true) && change(g1, nil, bypass: true))
        // An expired retention protects nothing.
        let expired = ObjectRetention(mode: .compliance, retainUntil: now.addingTimeInterval(-1))
        #expect(change(expired, nil) && change(expired, g1))
    }

    func lockedBucket(_ kind: StoreKind) async throws -> (Storage, String) {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", .enabled)
        try await s.setObjectLock(bucket: "bkt", BucketObjectLock())
        return (s, dir)
    }

    static func file(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: Storage.inlineLimit + 10) }

    func put(_ s: Storage, _ key: String, _ attributes: ObjectAttributes, _ byte: UInt8 = 1) async throws -> ObjectRecord {
        try await s.putObject(bucket: "bkt", key: key, attributes: attributes, plainBody: TestBody(bytes: Self.file(byte)))
    }

    func code(_ body: () async throws -> Void) async -> String? {
        do { try await body(); return nil } catch { return (error as? CoreError)?.code ?? "\(error)" }
    }

    @Test(arguments: StoreKind.allCases) func lockedVersionsCannotBeDeleted(_ kind: StoreKind) async throws {
        let (s, dir) = try await lockedBucket(kind)
        let later = Date().addingTimeInterval(3600)
        let governed = try await put(s, "g", ObjectAttributes(retention: .init(mode: .governance, retainUntil: later)))
        let complied = try await put(s, "c", ObjectAttributes(retention: .init(mode: .compliance, retainUntil: later)))
        let held = try await put(s, "h", ObjectAttributes(legalHold: true))
        for (key, v) in [("g", governed), ("c", complied), ("h", held)] {
            #expect(await code { _ = try await s.deleteVersion(bucket: "bkt", key: key, version: .version(v.version)) } == "AccessDenied")
        }
        #expect(await code { _ = try await s.deleteVersion(bucket: "bkt", key: "c", version: .version(complied.version), bypassGovernance: true) } == "AccessDenied")
        #expect(await code { _ = try await s.deleteVersion(bucket: "bkt", key: "h", version: .version(held.version), bypassGovernance: true) } == "AccessDenied")
        // A delete without a version ID still makes a marker; the locked version stays behind it.
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "c"))
        #expect(marker.isDeleteMarker)
        #expect(try await s.headObject(bucket: "bkt", key: "c", version: .version(complied.version)).size == Int64(Self.file(1).count))
        // The collector runs: every locked version's blob is still there.
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 3)
        // GOVERNANCE goes with the bypass; the legal hold, once released.
        #expect(try await s.deleteVersion(bucket: "bkt", key: "g", version: .version(governed.version), bypassGovernance: true)?.version == governed.version)
        try await s.updateAttributes(bucket: "bkt", key: "h", version: nil, method: "PUT") { var a = $0.attributes; a.legalHold = false; return a }
        #expect(try await s.deleteVersion(bucket: "bkt", key: "h", version: .version(held.version))?.version == held.version)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
    }

    @Test(arguments: StoreKind.allCases) func retentionRunsOut(_ kind: StoreKind) async throws {
        let (s, _) = try await lockedBucket(kind)
        // Only a delete that ends before the retention does shows the denial. On a loaded machine (the unit
        // suite's first seconds in CI) the put and the delete alone can take longer than a short window,
        // so the window grows until a delete ends in time; then the retention is waited out.
        var window: TimeInterval = 4
        while true {
            let until = Date().addingTimeInterval(window)
            let v = try await put(s, "k", ObjectAttributes(retention: .init(mode: .compliance, retainUntil: until)))
            let refused = await code { _ = try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v.version)) }
            guard Date() < until else {
                window *= 4
                try #require(window <= 256, "no delete ended within a \(window / 4) s retention")
                continue
            }
            #expect(refused == "AccessDenied")
            try await Task.sleep(for: .milliseconds(Int(until.timeIntervalSinceNow * 1000) + 200))
            #expect(try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v.version))?.version == v.version)
            return
        }
    }

    /// Every way the core makes a version gives it the bucket's default retention, counted from the
    /// version's creation: a multipart object's from its completion, not from CreateMultipartUpload.
    @Test(arguments: StoreKind.allCases) func everyNewVersionGetsTheDefaultRetention(_ kind: StoreKind) async throws {
        let (s, _) = try await lockedBucket(kind)
        try await s.setObjectLock(bucket: "bkt", BucketObjectLock(defaultRetention: .init(mode: .compliance, days: 1)))
        let written = try await put(s, "p", ObjectAttributes())
        #expect(written.attributes.retention == ObjectRetention(mode: .compliance, retainUntil: written.lastModified.addingTimeInterval(86_400)))
        let copied = try await s.copyObject(from: try await s.openObject(bucket: "bkt", key: "p"), bucket: "bkt", key: "c", attributes: ObjectAttributes())
        #expect(copied.attributes.retention == ObjectRetention(mode: .compliance, retainUntil: copied.lastModified.addingTimeInterval(86_400)))
        // A caller that read the configuration passes it: no default known, none given.
        let known = try await s.putObject(bucket: "bkt", key: "k", attributes: ObjectAttributes(), plainBody: TestBody(bytes: [1]),
                                          lock: .known(BucketObjectLock()))
        #expect(known.attributes.retention == nil)
        // Multipart: created, then completed later; the upload itself holds no retention.
        let upload = try await s.createMultipartUpload(bucket: "bkt", key: "m", attributes: ObjectAttributes())
        #expect(upload.attributes.retention == nil)
        let part = try await s.uploadPart(bucket: "bkt", key: "m", uploadID: upload.uploadID, partNumber: 1, plainBody: TestBody(bytes: Self.file(2)))
        try await Task.sleep(for: .milliseconds(1100))
        let done = try await s.completeMultipartUpload(bucket: "bkt", key: "m", uploadID: upload.uploadID, parts: [(1, part.etag)])
        let until = try #require(done.attributes.retention?.retainUntil)
        #expect(until == ObjectRetention(mode: .compliance, retainUntil: done.lastModified.addingTimeInterval(86_400)).retainUntil)
        #expect(until.timeIntervalSince(upload.initiated) > 86_401)
        // As stored, and the version cannot be deleted.
        #expect(try await s.headObject(bucket: "bkt", key: "m").attributes.retention?.retainUntil == until)
        #expect(await code { _ = try await s.deleteVersion(bucket: "bkt", key: "m", version: .version(done.version)) } == "AccessDenied")
        // An upload whose write set its own retention keeps it.
        let own = ObjectRetention(mode: .governance, retainUntil: Date().addingTimeInterval(600))
        let ownUpload = try await s.createMultipartUpload(bucket: "bkt", key: "o", attributes: ObjectAttributes(retention: own))
        let ownPart = try await s.uploadPart(bucket: "bkt", key: "o", uploadID: ownUpload.uploadID, partNumber: 1, plainBody: TestBody(bytes: [3]))
        #expect(try await s.completeMultipartUpload(bucket: "bkt", key: "o", uploadID: ownUpload.uploadID, parts: [(1, ownPart.etag)]).attributes.retention == own)
    }

    @Test(arguments: StoreKind.allCases) func bucketRules(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("plain", region: "us-east-1")
        #expect(try await s.objectLock(bucket: "plain") == nil)
        // Object Lock needs versioning Enabled first.
        #expect(await code { try await s.setObjectLock(bucket: "plain", BucketObjectLock()) } == "InvalidBucketState")
        try await s.setVersioning(bucket: "plain", .suspended)
        #expect(await code { try await s.setObjectLock(bucket: "plain", BucketObjectLock()) } == "InvalidBucketState")
        try await s.setVersioning(bucket: "plain", .enabled)
        let lock = BucketObjectLock(defaultRetention: .init(mode: .governance, days: 2))
        try await s.setObjectLock(bucket: "plain", lock)
        #expect(try await s.objectLock(bucket: "plain") == lock)
        // Then versioning can never be suspended: no Suspended-style null version replacement can reach a locked version.
        #expect(await code { try await s.setVersioning(bucket: "plain", .suspended) } == "InvalidBucketState")
        #expect(try await s.versioning(bucket: "plain") == .enabled)
        try await s.setVersioning(bucket: "plain", .enabled)
    }

    /// `fsck --repair` (dropMissing) never drops a locked version whose blob went missing: dropping it
    /// would make its other blobs garbage. An unlocked one is dropped as before.
    @Test(arguments: StoreKind.allCases) func fsckRepairKeepsLockedVersions(_ kind: StoreKind) async throws {
        let (s, dir) = try await lockedBucket(kind)
        let locked = try await put(s, "locked", ObjectAttributes(legalHold: true), 1)
        let free = try await put(s, "free", ObjectAttributes(), 2)
        for v in [locked, free] {
            let blob = try await s.metadata.segments(version: v.version)[0].blob
            try FileManager.default.removeItem(atPath: "\(dir)/blobs/\(blob.prefix(2))/\(blob.dropFirst(2).prefix(2))/\(blob)")
        }
        let fsck = try #require(Fsck(storage: s))
        var repair = Fsck.Options()
        repair.repairOrphans = true
        repair.dropMissing = true
        let report = try await fsck.run(repair)
        #expect(report.objectsDropped == 1)
        #expect(report.lockedKept == [locked.version])
        #expect(report.remainingProblems == 1)
        #expect(try await s.headObject(bucket: "bkt", key: "locked").version == locked.version)
        #expect(await code { _ = try await s.headObject(bucket: "bkt", key: "free") } == "NoSuchKey")
    }
}
