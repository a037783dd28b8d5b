import ArgumentParser
import Foundation
import StorageCore
import TesseraServer

/// `tessera tickets create|list|revoke`: upload tickets, kept in the metadata store (so every gateway over
/// it honours them and counts their use together). Work on a stopped or a running instance, as keys do.
struct Tickets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage upload tickets: one revocable credential for a batch of uploads, with limits.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    static func store(_ opened: AdminStore.Opened) throws -> any TicketStore {
        guard let store = opened.metadata as? any TicketStore else { throw ValidationError("this metadata store keeps no tickets") }
        return store
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a ticket; print its token and the upload page link that carries it.")
        @OptionGroup var store: DataDirOption
        @Option(help: "The bucket it uploads into.") var bucket: String
        @Option(help: "Keys must start with this (bytes); default: the whole bucket.") var prefix = ""
        @Option(help: "Bytes it may send in all (bodies of PUTs and parts).") var maxBytes: Int64?
        @Option(help: "Objects it may complete.") var maxFiles: Int64?
        @Option(help: ArgumentHelp("The Content-Type uploads must have: exact, or type/* .", valueName: "pattern")) var contentType: String?
        @Option(help: ArgumentHelp("How long it lasts: seconds, or with a unit (90m, 12h, 7d).", valueName: "duration")) var expires: String?
        @Option(help: ArgumentHelp("The address clients reach the S3 listener on, for the link.", valueName: "url"))
        var endpoint = "http://127.0.0.1:9000"

        func run() async throws {
            if let n = maxBytes, n < 0 { throw ValidationError("--max-bytes must be 0 or more") }
            if let n = maxFiles, n < 0 { throw ValidationError("--max-files must be 0 or more") }
            let lifetime = try expires.map(Self.seconds)
            let (ticket, token) = UploadTicket.generate(bucket: bucket, prefix: prefix, maxBytes: maxBytes, maxFiles: maxFiles,
                                                        contentType: contentType, expires: lifetime.map { Date().addingTimeInterval($0) })
            try await store.withStore { opened in
                guard try await opened.metadata.bucket(named: bucket) != nil else { throw AdminError("no such bucket: \(bucket)") }
                try await Tickets.store(opened).createTicket(ticket)
            }
            let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            print("""
                ticket: \(ticket.id)
                token:  \(token)
                link:   \(base)/_tessera/upload#ticket=\(token)
                """)
        }

        /// "3600", "90m", "12h", "7d".
        static func seconds(_ text: String) throws -> TimeInterval {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            let (digits, unit) = text.last.flatMap { units[$0] }.map { (text.dropLast(), $0) } ?? (Substring(text), 1)
            guard let n = Double(digits), n > 0 else { throw ValidationError("--expires: \"\(text)\" is not a duration (e.g. 3600, 90m, 12h, 7d)") }
            return n * unit
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tickets and their use so far (tokens are not shown).")
        @OptionGroup var store: DataDirOption

        func run() async throws {
            try await store.withStore { opened in
                var rows = [["TICKET", "BUCKET", "PREFIX", "BYTES", "FILES", "EXPIRES", "STATE"]]
                for t in try await Tickets.store(opened).tickets() {
                    let state = t.revoked ? "revoked" : (t.isUsable() ? "active" : "expired")
                    rows.append([t.id, t.bucket, t.prefix.isEmpty ? "-" : t.prefix, "\(t.bytesUsed)/\(t.maxBytes.map(String.init) ?? "-")",
                                 "\(t.filesUsed)/\(t.maxFiles.map(String.init) ?? "-")", t.expires.map(iso) ?? "-", state])
                }
                print(table(rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a ticket: its requests, even those under way, are refused from now on.")
        @OptionGroup var store: DataDirOption
        @Argument(help: "The ticket ID (as `tickets list` shows it).") var id: String

        func run() async throws {
            let found = try await store.withStore { opened in try await Tickets.store(opened).revokeTicket(id: id) }
            guard found else { throw AdminError("no such ticket: \(id)") }
            print("revoked \(id)")
        }
    }
}
