import AccessKeys
import ArgumentParser
import Foundation
import StorageCore
import TesseraServer

/// `tessera keys create|list|delete`: access keys beside the daemon's own, optionally limited to
/// some buckets and to reads. They live in `<data-dir>/keys.json` (0600); a running daemon picks up
/// a new key on its first request with it, and deletions and changes within about a second.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage access keys (optionally scoped to buckets).",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Options: ParsableArguments {
        @Option(help: ArgumentHelp("The daemon's JSON config file (else $TESSERA_CONFIG): its data-dir is used.", valueName: "file"))
        var config: String?

        @Option(help: "The instance's data directory (else $TESSERA_DATA_DIR, else the config file's, else ./data).")
        var dataDir: String?

        /// The keys file of the data directory `serve` would use with the same flags, environment and config file.
        func file() async throws -> AccessKeyFile {
            let dataDir = try await DataDirOption.resolve(config: config, dataDir: self.dataDir, metadataUrl: nil).dataDir
            guard FileManager.default.fileExists(atPath: dataDir) else { throw ValidationError("no data directory at \(dataDir)") }
            return AccessKeyFile(dataDir: dataDir)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key pair and print it.")
        @OptionGroup var options: Options
        @Option(name: .customLong("bucket"), help: "Limit the key to this bucket (repeatable). Without it the key may use every bucket.")
        var buckets: [String] = []
        @Flag(help: "Allow only reads (GET/HEAD); writes get AccessDenied.")
        var readOnly = false
        @Option(help: ArgumentHelp("The user the key belongs to, made by naming it (letters, digits, +=,.@_-; at most 64). Without it: the default user, \(User.defaultName).", valueName: "name"))
        var user: String?

        func validate() throws {
            if let user, !User.isValidName(user) {
                throw ValidationError("--user: \"\(user)\" is not a user name (1-64 letters, digits and +=,.@_-)")
            }
        }

        func run() async throws {
            let key = AccessKeyRecord.generate(buckets: buckets.isEmpty ? nil : buckets, readOnly: readOnly, user: user)
            try await options.file().update { $0.append(key) }
            print("""
                access key: \(key.accessKey)
                secret key: \(key.secretKey)
                user:       \(key.owner.name) (canonical ID \(key.owner.canonicalID))
                buckets:    \(key.buckets?.joined(separator: ", ") ?? "all")
                access:     \(readOnly ? "read-only" : "read-write")
                """)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (secrets are not shown).")
        @OptionGroup var options: Options

        func run() async throws {
            for k in try await options.file().load().sorted(by: { $0.accessKey < $1.accessKey }) {
                print("\(k.accessKey)\t\(k.owner.name)\t\(k.buckets?.joined(separator: ",") ?? "*")\t\(k.readOnly ? "read-only" : "read-write")\t\(iso(k.created))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key; requests signed with it fail from then on.")
        @OptionGroup var options: Options
        @Argument(help: "The access key ID.") var accessKey: String

        func run() async throws {
            var found = false
            try await options.file().update { list in
                found = list.contains { $0.accessKey == accessKey }
                list.removeAll { $0.accessKey == accessKey }
            }
            guard found else { throw ValidationError("no such key: \(accessKey)") }
            print("deleted \(accessKey)")
        }
    }
}
