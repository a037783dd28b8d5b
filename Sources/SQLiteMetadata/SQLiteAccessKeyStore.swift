import Foundation
import StorageCore

/// Access keys as JSON records. The secret must be stored to verify HMAC signatures, so the
/// metadata file is as sensitive as a credentials file (the data dir should be 0700).
extension SQLiteMetadataStore: AccessKeyStore {
    static let accessKeySchema = "CREATE TABLE IF NOT EXISTS access_keys(id TEXT PRIMARY KEY, record TEXT NOT NULL)"

    public func putKey(_ key: AccessKeyRecord) throws {
        let record = String(decoding: try JSONEncoder().encode(key), as: UTF8.self)
        try write { c in
            try c.exec(Self.accessKeySchema)
            try c.query("INSERT OR REPLACE INTO access_keys(id, record) VALUES(?,?)", [.text(key.accessKey), .text(record)])
        }
    }

    public func key(id: String) throws -> AccessKeyRecord? {
        try keys(where: "WHERE id=?", [.text(id)]).first
    }

    public func keys() throws -> [AccessKeyRecord] {
        try keys(where: "ORDER BY id", [])
    }

    private func keys(where clause: String, _ args: [SQLValue]) throws -> [AccessKeyRecord] {
        try read { c in
            var r: [AccessKeyRecord] = []
            var exists = false
            try c.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='access_keys'") { _ in exists = true }
            guard exists else { return [] }
            try c.query("SELECT record FROM access_keys \(clause)", args) {
                if let k = try? JSONDecoder().decode(AccessKeyRecord.self, from: Data($0.text(0).utf8)) { r.append(k) }
            }
            return r
        }
    }

    public func deleteKey(id: String) throws -> Bool {
        try write { c in
            try c.exec(Self.accessKeySchema)
            try c.query("DELETE FROM access_keys WHERE id=?", [.text(id)])
            return c.changes == 1
        }
    }
}
