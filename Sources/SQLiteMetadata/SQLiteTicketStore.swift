import Foundation
import StorageCore

/// Upload tickets in SQLite (schema 5): the ticket as JSON beside its limits and its use, which
/// `chargeTicket` changes in one conditional UPDATE. A record that is not the JSON this store writes is
/// refused (InternalError), never read as "no such ticket".
extension SQLiteMetadataStore: TicketStore {
    private static let ticketColumns = "record, revoked, bytes_used, files_used"

    private static func ticket(_ row: Row) throws -> UploadTicket {
        var t: UploadTicket
        do { t = try JSONDecoder().decode(UploadTicket.self, from: Data(row.text(0).utf8)) } catch {
            throw corrupt("upload_tickets: record is not UploadTicket JSON")
        }
        t.revoked = try flagColumn(row, 1, "upload_tickets \(t.id) revoked")
        t.bytesUsed = try nonNegative(row.int(2), "upload_tickets \(t.id) bytes_used")
        t.filesUsed = try nonNegative(row.int(3), "upload_tickets \(t.id) files_used")
        return t
    }

    private static func flagColumn(_ row: Row, _ i: Int32, _ what: String) throws -> Bool {
        let n = row.int(i)
        guard !row.isNull(i), n == 0 || n == 1 else { throw corrupt("\(what) is \(n), not 0 or 1") }
        return n == 1
    }

    public func createTicket(_ ticket: UploadTicket) async throws {
        let record = String(decoding: try JSONEncoder().encode(ticket), as: UTF8.self)
        try await write { c in
            try c.query("INSERT INTO upload_tickets(id, record, max_bytes, max_files) VALUES(?,?,?,?)", [
                .text(ticket.id), .text(record), ticket.maxBytes.map { .int($0) } ?? .null, ticket.maxFiles.map { .int($0) } ?? .null,
            ])
        }
    }

    public func ticket(id: String) async throws -> UploadTicket? {
        try await read { c in
            var r: UploadTicket?
            try c.query("SELECT \(Self.ticketColumns) FROM upload_tickets WHERE id=?", [.text(id)]) { r = try Self.ticket($0) }
            return r
        }
    }

    public func tickets() async throws -> [UploadTicket] {
        try await read { c in
            var r: [UploadTicket] = []
            try c.query("SELECT \(Self.ticketColumns) FROM upload_tickets ORDER BY id") { r.append(try Self.ticket($0)) }
            return r
        }
    }

    public func revokeTicket(id: String) async throws -> Bool {
        try await write { c in
            try c.query("UPDATE upload_tickets SET revoked=1 WHERE id=?", [.text(id)])
            return c.changes == 1
        }
    }

    public func chargeTicket(id: String, bytes: Int64, files: Int64) async throws -> Bool {
        try await write { c in
            if bytes <= 0 && files <= 0 {
                try c.query("UPDATE upload_tickets SET bytes_used=max(0, bytes_used+?), files_used=max(0, files_used+?) WHERE id=?",
                            [.int(bytes), .int(files), .text(id)])
            } else {
                try c.query("""
                    UPDATE upload_tickets SET bytes_used=bytes_used+?, files_used=files_used+?
                    WHERE id=? AND revoked=0 AND (max_bytes IS NULL OR bytes_used+? <= max_bytes) AND (max_files IS NULL OR files_used+? <= max_files)
                    """, [.int(bytes), .int(files), .text(id), .int(bytes), .int(files)])
            }
            return c.changes == 1
        }
    }
}
