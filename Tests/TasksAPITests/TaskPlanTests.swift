import Foundation
import StorageCore
import Testing
@testable import TasksAPI

@Suite struct TaskPlanTests {
    func request(_ json: String) throws -> TaskCreateRequest {
        do throws(TaskRefusal) { return try TaskCreateRequest(json: Array(json.utf8)) } catch { throw error }
    }

    func plan(_ json: String, limits: LimitProfile = .aws) throws -> TaskPlan {
        let r = try request(json)
        do throws(TaskRefusal) { return try TaskPlan(file: r, limits: limits, defaultChunkSize: 5 << 20) } catch { throw error }
    }

    static let md5 = "0123456789abcdef0123456789abcdef"

    @Test func chunksCoverTheFile() throws {
        let empty = try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":0}"#)
        #expect(empty.chunkSize == 5 << 20 && empty.chunksCount == 1)
        #expect(try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":5242880}"#).chunksCount == 1)
        #expect(try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":5242881}"#).chunksCount == 2)
        #expect(try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":10,"chunk_size":100}"#).chunksCount == 1)
    }

    /// Found while writing the taskapi fuzz target (its input: Fuzz/corpus/taskapi/regression-create-*): the chunk count was
    /// computed as (file_size + chunk_size - 1) / chunk_size, which overflowed, and trapped the daemon, for sizes near Int64.max.
    @Test func sizesNearInt64MaxAreRefusedNotATrap() throws {
        #expect(throws: TaskRefusal("file_size 9223372036854775807 needs 1759218604442 chunks of 5242880 bytes; at most 10000 are allowed")) {
            try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":9223372036854775807}"#)
        }
        #expect(throws: TaskRefusal("chunk_size 9223372036854775807 exceeds the maximum part size 5368709120")) {
            try plan(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":1,"chunk_size":9223372036854775807}"#)
        }
    }

    @Test func badBodiesAreRefusedWithTheirMessage() throws {
        #expect(throws: TaskRefusal("Invalid JSON body: hash, file_name and file_size are required")) { try request(#"{"hash":"x"}"#) }
        #expect(throws: TaskRefusal("file_size must not be negative")) {
            try request(#"{"hash":"\#(Self.md5)","file_name":"a","file_size":-1}"#)
        }
        #expect(throws: TaskRefusal("hash must be the file's MD5 (32 hex digits) or SHA-256 (64 hex digits)")) {
            try request(#"{"hash":"\#(Self.md5)g","file_name":"a","file_size":1}"#)
        }
        #expect(try request(#"{"hash":"\#(Self.md5.uppercased())","file_name":"a","file_size":1}"#).normalizedHash == Self.md5)
    }
}
