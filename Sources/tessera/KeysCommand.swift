import ArgumentParser
import Foundation
import SQLiteMetadata
import StorageCore

/// `tessera keys create|list|delete`: access keys beside the daemon's own, optionally limited to
/// some buckets. Works on a stopped or running instance's data dir (SQLite WAL serializes writers).
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage access keys (optionally scoped to buckets).",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "The instance's data directory.")
        var dataDir = "./data"

        func store() throws -> SQLiteMetadataStore {
            guard FileManager.default.fileExists(atPath: dataDir) else { throw ValidationError("no data directory at \(dataDir)") }
            return try SQLiteMetadataStore(path: dataDir + "/metadata.sqlite")
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key pair and print it.")
        @OptionGroup var options: Options
        @Option(name: .customLong("bucket"), help: "Limit the key to this bucket (repeatable). Without it the key may use every bucket.")
        var buckets: [String] = []

        func run() throws {
            let key = AccessKeyRecord.generate(buckets: buckets.isEmpty ? nil : buckets)
            try options.store().putKey(key)
            print("access key: \(key.accessKey)\nsecret key: \(key.secretKey)\nbuckets:    \(key.buckets?.joined(separator: ", ") ?? "all")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (secrets are not shown).")
        @OptionGroup var options: Options

        func run() throws {
            for k in try options.store().keys() {
                print("\(k.accessKey)\t\(k.buckets?.joined(separator: ",") ?? "*")\t\(ISO8601DateFormatter().string(from: k.created))")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key; requests signed with it fail from then on.")
        @OptionGroup var options: Options
        @Argument(help: "The access key ID.") var accessKey: String

        func run() throws {
            guard try options.store().deleteKey(id: accessKey) else { throw ValidationError("no such key: \(accessKey)") }
            print("deleted \(accessKey)")
        }
    }
}
