import AccessKeys
import Foundation
import StorageCore
import Testing

/// The daemon's view of `keys.json`: requests read memory only; the file is looked at by checks, which
/// see new, deleted and damaged versions of it (a damaged one leaves the keys read before).
@Suite struct AccessKeyFileTests {
    func fresh() throws -> (AccessKeyFile, String, BlockingPool) {
        let dir = NSTemporaryDirectory() + "tessera-keys-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = BlockingPool()
        return (AccessKeyFile(dataDir: dir, pool: pool), dir, pool)
    }

    func record(_ id: String) -> AccessKeyRecord {
        var r = AccessKeyRecord.generate(buckets: nil, readOnly: false)
        (r.accessKey, r.secretKey) = (id, "secret-" + id)
        return r
    }

    @Test func requestsReadMemoryAndChecksFollowTheFile() async throws {
        let (file, dir, pool) = try fresh()
        defer { Task { try? await pool.shutdown() } }
        await file.refresh(since: .now)
        #expect(file.keys().isEmpty)   // no file: no keys

        try file.update { $0.append(record("TKONE")) }
        #expect(file.key(id: "TKONE") == nil)   // memory only, until a check
        await file.refresh(since: .now)
        #expect(file.key(id: "TKONE")?.secretKey == "secret-TKONE")

        try file.update { $0.append(record("TKTWO")) }
        let before = ContinuousClock.now.advanced(by: .seconds(-60))
        await file.refresh(since: before)   // a check since then has finished: nothing is read
        #expect(file.key(id: "TKTWO") == nil)
        await file.refresh(since: .now)
        #expect(file.keys().map(\.accessKey) == ["TKONE", "TKTWO"])

        try file.update { $0.removeAll { $0.accessKey == "TKONE" } }
        await file.refresh(since: .now)
        #expect(file.key(id: "TKONE") == nil && file.key(id: "TKTWO") != nil)

        // Damaged: the keys read before stay; mended: read again.
        try Data("[{\"accessKey\": ".utf8).write(to: URL(fileURLWithPath: dir + "/keys.json"))
        await file.refresh(since: .now)
        #expect(file.keys().map(\.accessKey) == ["TKTWO"])
        #expect(throws: AccessKeyFile.Corrupt.self) { try file.load() }
        try FileManager.default.removeItem(atPath: dir + "/keys.json")
        await file.refresh(since: .now)
        #expect(file.keys().isEmpty)
    }

    @Test func concurrentCallersAllSeeAKeyMadeBeforeTheyAsked() async throws {
        let (file, _, pool) = try fresh()
        defer { Task { try? await pool.shutdown() } }
        await file.refresh(since: .now)
        try file.update { $0.append(record("TKNEW")) }
        let asked = ContinuousClock.now
        let found = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    await file.refresh(since: asked)
                    return file.key(id: "TKNEW") != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == 64)
    }

    @Test func backgroundChecksNeverWaitAndCatchUp() async throws {
        let (file, _, pool) = try fresh()
        defer { Task { try? await pool.shutdown() } }
        try file.update { $0.append(record("TKBG")) }
        file.refreshInBackground(every: .zero)
        var waited = 0
        while file.key(id: "TKBG") == nil && waited < 200 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(file.key(id: "TKBG") != nil)
    }
}
