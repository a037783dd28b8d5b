import Foundation
import Testing
import FileBlobs
@testable import StorageCore

@Suite struct FsckTests {
    func plant(_ dir: String, _ id: String, age: TimeInterval) throws {
        let path = "\(dir)/blobs/\(id.prefix(2))/\(id.dropFirst(2).prefix(2))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(path)/\(id)", contents: Data("orphan".utf8))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: "\(path)/\(id)")
    }

    @Test(arguments: StoreKind.allCases) func findsOrphansAndMissingBlobsAndRepairsOnlyWhatIsAsked(_ kind: StoreKind) async throws {
        let (storage, dir) = try await makeStorage(kind)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await storage.createBucket("bkt", region: "us-east-1")
        // Above the inline limit, so each body is a file.
        _ = try await storage.putObject(bucket: "bkt", key: "kept", attributes: ObjectAttributes(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 100)))
        _ = try await storage.putObject(bucket: "bkt", key: "lost", attributes: ObjectAttributes(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 100)))
        let lostBlob = try await storage.metadata.segments(version: try await storage.headObject(bucket: "bkt", key: "lost").version)[0].blob
        let fsck = try #require(Fsck(storage: storage))
        #expect(try await fsck.run(Fsck.Options()).remainingProblems == 0)

        let old = "0123456789abcdef0123456789abcdef", young = "fedcba9876543210fedcba9876543210"
        try plant(dir, old, age: 3600)
        try plant(dir, young, age: 0)
        try FileManager.default.removeItem(atPath: "\(dir)/blobs/\(lostBlob.prefix(2))/\(lostBlob.dropFirst(2).prefix(2))/\(lostBlob)")

        let report = try await fsck.run(Fsck.Options())
        #expect(report.integrityOK)
        #expect(report.orphans == [old])
        #expect(report.youngUnreferenced == 1)
        #expect(report.missingObjectBlobs.map(\.key) == ["lost"])
        #expect(report.remainingProblems == 2)
        #expect(report.orphansDeleted == 0)

        var repair = Fsck.Options()
        repair.repairOrphans = true
        let repaired = try await fsck.run(repair)
        #expect(repaired.orphansDeleted == 1)
        #expect(repaired.remainingProblems == 1)
        #expect(try await storage.headObject(bucket: "bkt", key: "lost").key == "lost")  // not dropped unless asked

        repair.dropMissing = true
        let dropped = try await fsck.run(repair)
        #expect(dropped.objectsDropped == 1)
        #expect(dropped.remainingProblems == 0)
        await #expect(throws: CoreError.self) { _ = try await storage.headObject(bucket: "bkt", key: "lost") }
        #expect(try await storage.headObject(bucket: "bkt", key: "kept").size == Int64(Storage.inlineLimit + 100))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/blobs/fe/dc/\(young)"))  // too young to touch
    }

    @Test(arguments: StoreKind.allCases) func missingPartBlobs(_ kind: StoreKind) async throws {
        let (storage, dir) = try await makeStorage(kind)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await storage.createBucket("bkt", region: "us-east-1")
        let upload = try await storage.createMultipartUpload(bucket: "bkt", key: "k", attributes: ObjectAttributes())
        _ = try await storage.uploadPart(bucket: "bkt", key: "k", uploadID: upload.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(10)))
        let part = try await storage.metadata.parts(uploadID: upload.uploadID, afterPartNumber: 0, limit: 10)[0]
        try FileManager.default.removeItem(atPath: "\(dir)/blobs/\(part.blob.prefix(2))/\(part.blob.dropFirst(2).prefix(2))/\(part.blob)")
        let fsck = try #require(Fsck(storage: storage))
        let report = try await fsck.run(Fsck.Options())
        #expect(report.missingPartBlobs.map(\.partNumber) == [1])
        var repair = Fsck.Options()
        repair.repairOrphans = true
        repair.dropMissing = true
        #expect(try await fsck.run(repair).partsDropped == 1)
        #expect(try await storage.metadata.parts(uploadID: upload.uploadID, afterPartNumber: 0, limit: 10).isEmpty)
    }

    @Test func progressLineOnlyWhenEnabled() {
        final class Sink: @unchecked Sendable { var text = "" }
        let sink = Sink()
        let on = ProgressLine("fsck", enabled: true, interval: .zero) { sink.text += $0 }
        on.update("1 blob")
        on.update("2 blobs")
        on.finish("done")
        #expect(sink.text == "\r\u{1B}[Kfsck: 1 blob\r\u{1B}[Kfsck: 2 blobs\r\u{1B}[Kfsck: done\n")

        let quiet = Sink()
        let off = ProgressLine("fsck", enabled: false, interval: .zero) { quiet.text += $0 }
        off.update("1 blob")
        off.finish("done")
        #expect(quiet.text.isEmpty)

        let quick = Sink()
        let slow = ProgressLine("sweep", enabled: true, interval: .seconds(60)) { quick.text += $0 }
        slow.update("1")
        slow.finish("done")
        #expect(quick.text.isEmpty)  // finished before the first redraw: nothing to clean up
    }
}
