import Foundation
import PostgresNIO
import StorageCore

/// Tasks and files of the chunk upload API in PostgreSQL, so that every gateway serves the task API over
/// one namespace: JSON records beside the columns they are looked up by, as `SQLiteTaskStore` keeps them
/// (schema migration 2). One statement per call (each its own transaction). A record that is not the
/// JSON this store writes is refused (InternalError), never read as "no such task".
extension PostgresMetadataStore: TaskStore {
    private static func record<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ row: PostgresRow, _ what: @autoclosure () -> String) throws -> T {
        let text = try row.decode(String.self)
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw corrupt("\(what()): record is not \(type) JSON")
        }
    }

    public func putTask(_ task: UploadTask) async throws {
        let record = try Self.record(task)
        try await transaction { [self] c in
            try await c.query("""
                INSERT INTO upload_tasks(id, record) VALUES(\(task.id), \(record))
                ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record
                """, logger: logger)
        }
    }

    public func task(id: String) async throws -> UploadTask? {
        try await rows("SELECT record FROM upload_tasks WHERE id = \(id)").first.map {
            try Self.decode(UploadTask.self, $0, "upload_tasks \(id)")
        }
    }

    public func deleteTask(id: String) async throws {
        try await transaction { [self] c in try await c.query("DELETE FROM upload_tasks WHERE id = \(id)", logger: logger) }
    }

    public func putFile(_ file: StoredFile) async throws {
        let record = try Self.record(file)
        let expires = file.expiresAt?.timeIntervalSince1970
        try await transaction { [self] c in
            try await c.query("""
                INSERT INTO files(id, md5, sha256, expires, record) VALUES(\(file.id), \(file.md5), \(file.sha256), \(expires), \(record))
                ON CONFLICT (id) DO UPDATE SET md5 = EXCLUDED.md5, sha256 = EXCLUDED.sha256, expires = EXCLUDED.expires,
                    record = EXCLUDED.record
                """, logger: logger)
        }
    }

    public func file(id: String) async throws -> StoredFile? {
        try await rows("SELECT record FROM files WHERE id = \(id)").first.map {
            try Self.decode(StoredFile.self, $0, "files \(id)")
        }
    }

    public func files(hash: String) async throws -> [StoredFile] {
        try await rows("SELECT record FROM files WHERE md5 = \(hash) OR sha256 = \(hash) ORDER BY id").map {
            try Self.decode(StoredFile.self, $0, "files with hash \(hash)")
        }
    }

    public func deleteFile(id: String) async throws {
        try await transaction { [self] c in try await c.query("DELETE FROM files WHERE id = \(id)", logger: logger) }
    }

    public func files(expiringBefore date: Date, limit: Int) async throws -> [StoredFile] {
        try await rows("""
            SELECT record FROM files WHERE expires IS NOT NULL AND expires < \(date.timeIntervalSince1970)
            ORDER BY expires LIMIT \(limit)
            """).map { try Self.decode(StoredFile.self, $0, "files expiring") }
    }
}
