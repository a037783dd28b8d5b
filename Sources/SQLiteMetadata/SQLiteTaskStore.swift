import Foundation
import StorageCore

/// Tasks and files of the chunk upload API, as JSON records beside a few indexed columns. A record that
/// is not the JSON this store writes is refused (InternalError), never read as "no such task".
extension SQLiteMetadataStore: TaskStore {
    private func encode<T: Encodable>(_ v: T) throws -> String {
        String(decoding: try JSONEncoder().encode(v), as: UTF8.self)
    }
    private func decode<T: Decodable>(_ t: T.Type, _ s: String, _ what: @autoclosure () -> String) throws -> T {
        do { return try JSONDecoder().decode(t, from: Data(s.utf8)) } catch {
            throw CoreError.internalError("corrupt metadata row: \(what()): record is not \(t) JSON")
        }
    }

    public func putTask(_ task: UploadTask) async throws {
        let record = try encode(task)
        try await write { c in try c.query("INSERT OR REPLACE INTO upload_tasks(id, record) VALUES(?,?)", [.text(task.id), .text(record)]) }
    }

    public func task(id: String) async throws -> UploadTask? {
        try await read { c in
            var r: UploadTask?
            try c.query("SELECT record FROM upload_tasks WHERE id=?", [.text(id)]) { r = try self.decode(UploadTask.self, $0.text(0), "upload_tasks \(id)") }
            return r
        }
    }

    public func deleteTask(id: String) async throws {
        try await write { c in try c.query("DELETE FROM upload_tasks WHERE id=?", [.text(id)]) }
    }

    public func putFile(_ file: StoredFile) async throws {
        let record = try encode(file)
        try await write { c in
            try c.query("INSERT OR REPLACE INTO files(id, md5, sha256, expires, record) VALUES(?,?,?,?,?)", [
                .text(file.id), .text(file.md5), .text(file.sha256),
                file.expiresAt.map { .double($0.timeIntervalSince1970) } ?? .null, .text(record),
            ])
        }
    }

    public func file(id: String) async throws -> StoredFile? {
        try await read { c in
            var r: StoredFile?
            try c.query("SELECT record FROM files WHERE id=?", [.text(id)]) { r = try self.decode(StoredFile.self, $0.text(0), "files \(id)") }
            return r
        }
    }

    public func files(hash: String) async throws -> [StoredFile] {
        try await read { c in
            var r: [StoredFile] = []
            try c.query("SELECT record FROM files WHERE md5=? OR sha256=? ORDER BY id", [.text(hash), .text(hash)]) {
                r.append(try self.decode(StoredFile.self, $0.text(0), "files with hash \(hash)"))
            }
            return r
        }
    }

    public func deleteFile(id: String) async throws {
        try await write { c in try c.query("DELETE FROM files WHERE id=?", [.text(id)]) }
    }

    public func files(expiringBefore date: Date, limit: Int) async throws -> [StoredFile] {
        try await read { c in
            var r: [StoredFile] = []
            try c.query("SELECT record FROM files WHERE expires IS NOT NULL AND expires < ? ORDER BY expires LIMIT ?",
                        [.double(date.timeIntervalSince1970), .int(Int64(limit))]) {
                r.append(try self.decode(StoredFile.self, $0.text(0), "files expiring"))
            }
            return r
        }
    }
}
