import Foundation
import Testing
@testable import StorageCore

/// Upload tickets in both stores: tokens check against the stored digest only, charges stay within the
/// limits (concurrent ones never overshoot), refunds always apply, revoked tickets take no charge, and a
/// damaged row is refused.
@Suite struct TicketStoreTests {
    func store(_ kind: StoreKind) async throws -> (any MetadataStore & TaskStore, (String) async throws -> Void) {
        try await makeStoreWithSQL(kind)
    }

    @Test func tokensParseAndCheckAgainstTheDigestOnly() {
        let (ticket, token) = UploadTicket.generate(bucket: "b", prefix: "in/", maxBytes: 10, maxFiles: nil, contentType: "image/*", expires: nil)
        let (id, secret) = UploadTicket.parse(token: token)!
        #expect(id == ticket.id && ticket.accepts(secret: secret))
        #expect(!ticket.accepts(secret: String(secret.reversed())))
        #expect(!ticket.secretDigest.contains(secret))
        #expect(UploadTicket.parse(token: "tkt_\(id)") == nil && UploadTicket.parse(token: "abc_\(id)_\(secret)") == nil)
        #expect(ticket.covers(key: "in/a") && !ticket.covers(key: "out/a") && !ticket.covers(key: "in"))
        #expect(ticket.allows(contentType: "image/png; q=1") && ticket.allows(contentType: "IMAGE/JPEG") && !ticket.allows(contentType: "text/plain")
                && !ticket.allows(contentType: nil))
        var expired = ticket
        expired.expires = Date(timeIntervalSinceNow: -1)
        #expect(ticket.isUsable() && !expired.isUsable())
    }

    @Test(arguments: StoreKind.allCases) func chargesStayWithinTheLimits(_ kind: StoreKind) async throws {
        let (s, execute) = try await store(kind)
        let tickets = try #require(s as? any TicketStore)
        let (t, _) = UploadTicket.generate(bucket: "b", prefix: "", maxBytes: 100, maxFiles: 2, contentType: nil, expires: nil)
        try await tickets.createTicket(t)
        await #expect(throws: (any Error).self) { try await tickets.createTicket(t) }   // the ID is taken
        #expect(try await tickets.chargeTicket(id: t.id, bytes: 60, files: 1))
        #expect(try await !tickets.chargeTicket(id: t.id, bytes: 41, files: 0))       // would pass 100
        #expect(try await tickets.chargeTicket(id: t.id, bytes: 40, files: 1))
        #expect(try await !tickets.chargeTicket(id: t.id, bytes: 0, files: 1))        // a third file
        #expect(try await tickets.chargeTicket(id: t.id, bytes: -40, files: -1))      // a refund
        let now = try #require(try await tickets.ticket(id: t.id))
        #expect(now.bytesUsed == 60 && now.filesUsed == 1 && now.bytesLeft == 40 && now.filesLeft == 1)
        // Concurrent charges of 10 bytes: exactly the four that fit are taken.
        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 { group.addTask { try await tickets.chargeTicket(id: t.id, bytes: 10, files: 0) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(taken == 4)
        #expect(try await tickets.ticket(id: t.id)?.bytesUsed == 100)
        // Revoked: no charge is taken, refunds still are; unknown IDs: false.
        #expect(try await tickets.revokeTicket(id: t.id))
        #expect(try await !tickets.chargeTicket(id: t.id, bytes: 0, files: 0 + 1))
        #expect(try await tickets.chargeTicket(id: t.id, bytes: -10, files: 0))
        #expect(try await tickets.ticket(id: t.id)?.revoked == true)
        #expect(try await !tickets.revokeTicket(id: "0000000000000000"))
        #expect(try await tickets.tickets().map(\.id) == [t.id])
        // A damaged row is refused, never read as no ticket.
        try await execute("UPDATE upload_tickets SET record = 'nope'")
        await #expect(throws: CoreError.self) { _ = try await tickets.ticket(id: t.id) }
    }
}
