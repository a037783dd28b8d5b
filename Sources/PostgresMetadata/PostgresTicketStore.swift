import Foundation
import PostgresNIO
import StorageCore

/// Upload tickets in PostgreSQL (schema 6), as `SQLiteTicketStore` keeps them: one allowance shared by
/// every gateway, charged in one conditional UPDATE (row-locked, so concurrent charges never overshoot).
extension PostgresMetadataStore: TicketStore {
    private static let ticketColumns = "record, revoked, bytes_used, files_used"

    private static func ticket(_ row: PostgresRow) throws -> UploadTicket {
        let (record, revoked, bytes, files) = try row.decode((String, Bool, Int64, Int64).self)
        var t: UploadTicket
        do { t = try JSONDecoder().decode(UploadTicket.self, from: Data(record.utf8)) } catch {
            throw corrupt("upload_tickets: record is not UploadTicket JSON")
        }
        t.revoked = revoked
        t.bytesUsed = try nonNegative(bytes, "upload_tickets \(t.id) bytes_used")
        t.filesUsed = try nonNegative(files, "upload_tickets \(t.id) files_used")
        return t
    }

    public func createTicket(_ ticket: UploadTicket) async throws {
        let record = String(decoding: try JSONEncoder().encode(ticket), as: UTF8.self)
        try await transaction { [self] c in
            try await c.query("""
                INSERT INTO upload_tickets(id, record, max_bytes, max_files) VALUES(\(ticket.id), \(record), \(ticket.maxBytes), \(ticket.maxFiles))
                """, logger: logger)
        }
    }

    public func ticket(id: String) async throws -> UploadTicket? {
        try await rows("SELECT record, revoked, bytes_used, files_used FROM upload_tickets WHERE id = \(id)").first.map(Self.ticket)
    }

    public func tickets() async throws -> [UploadTicket] {
        try await rows("SELECT record, revoked, bytes_used, files_used FROM upload_tickets ORDER BY id").map(Self.ticket)
    }

    public func revokeTicket(id: String) async throws -> Bool {
        try await transaction { [self] c in
            try await !c.query("UPDATE upload_tickets SET revoked = true WHERE id = \(id) RETURNING 1", logger: logger).collect().isEmpty
        }
    }

    public func chargeTicket(id: String, bytes: Int64, files: Int64) async throws -> Bool {
        try await transaction { [self] c in
            if bytes <= 0 && files <= 0 {
                return try await !c.query("""
                    UPDATE upload_tickets SET bytes_used = greatest(0, bytes_used + \(bytes)), files_used = greatest(0, files_used + \(files))
                    WHERE id = \(id) RETURNING 1
                    """, logger: logger).collect().isEmpty
            }
            return try await !c.query("""
                UPDATE upload_tickets SET bytes_used = bytes_used + \(bytes), files_used = files_used + \(files)
                WHERE id = \(id) AND NOT revoked AND (max_bytes IS NULL OR bytes_used + \(bytes) <= max_bytes)
                  AND (max_files IS NULL OR files_used + \(files) <= max_files)
                RETURNING 1
                """, logger: logger).collect().isEmpty
        }
    }
}
