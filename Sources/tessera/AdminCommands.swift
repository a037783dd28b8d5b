import ArgumentParser
import Foundation
import StorageCore
import TesseraServer
import WireFormats

/// Where an admin command finds the instance: the same settings `serve` reads, with the same precedence
/// (flags > TESSERA_* environment > the --config file > defaults), so `--config /etc/tessera/tessera.json`
/// names the same data directory and metadata database as the daemon's unit. Safe on a stopped or a running instance.
struct DataDirOption: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's JSON config file (else $TESSERA_CONFIG): its data-dir and metadata-url are used.", valueName: "file"))
    var config: String?

    @Option(help: "The instance's data directory (else $TESSERA_DATA_DIR, else the config file's, else ./data).")
    var dataDir: String?

    @Option(help: ArgumentHelp("The instance's PostgreSQL metadata database, when it keeps metadata there (else $TESSERA_METADATA_URL, else the config file's); --data-dir is then its shared blob directory.", valueName: "url"))
    var metadataUrl: String?

    /// The data directory and metadata URL as `serve` would resolve them from the same flags, environment,
    /// credentials directory and file, through the same reader (`ServeConfigReader`).
    func resolved() async throws -> (dataDir: String, metadataURL: String?) {
        try await Self.resolve(config: config, dataDir: dataDir, metadataUrl: metadataUrl)
    }

    static func resolve(config: String?, dataDir: String?, metadataUrl: String?) async throws -> (dataDir: String, metadataURL: String?) {
        let env = ProcessInfo.processInfo.environment
        var flags = ServeOptions()
        flags.dataDir = dataDir
        flags.metadataUrl = metadataUrl
        let (resolved, warnings) = try await ServeConfigReader.read(
            flags: flags, configFile: ServeConfigReader.configFilePath(flag: config, environment: env), environment: env,
            keys: [.dataDir, .metadataUrl])
        for warning in warnings { FileHandle.standardError.write(Data("tessera: warning: \(warning)\n".utf8)) }
        return (resolved.options.dataDir ?? ServeOptions.defaultDataDir, resolved.options.metadataUrl)
    }

    /// Opens the instance's stores, runs `body` with them, and closes them (their blocking pool) again.
    func withStore<T>(_ body: (AdminStore.Opened) async throws -> T) async throws -> T {
        let location = try await resolved()
        let opened = try await AdminStore.open(dataDir: location.dataDir, metadataURL: location.metadataURL)
        do {
            let result = try await body(opened)
            await opened.close()
            return result
        } catch {
            await opened.close()
            throw error
        }
    }
}

/// An admin command's failure: printed as "Error: …", exit status 1.
struct AdminError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `2009-10-12T17:50:30Z`
func iso(_ date: Date) -> String { ISO8601Time.format(Int64(date.timeIntervalSince1970.rounded(.down))) }

func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = Array(repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}

// MARK: buckets

struct Buckets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, create and delete buckets in a data directory.",
        subcommands: [List.self, Create.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List buckets with their object counts, sizes and owners.")
        @OptionGroup var store: DataDirOption

        func run() async throws {
            try await store.withStore { s in
                var rows = [["NAME", "CREATED", "REGION", "OBJECTS", "BYTES", "UPLOADS", "OWNER"]]
                for b in try await s.metadata.listBuckets() {
                    let u = try await s.metadata.usage(bucket: b.name)
                    rows.append([b.name, iso(b.created), b.region, "\(u.objects)", "\(u.bytes)", "\(u.uploads)", b.owner.name])
                }
                print(table(rows))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a bucket.")
        @OptionGroup var store: DataDirOption
        @Option(help: "The bucket's region.") var region = "us-east-1"
        @Option(help: ArgumentHelp("The user who owns it (as `tessera keys create --user`).", valueName: "name")) var owner = User.defaultName
        @Argument(help: "Bucket name (S3 rules: 3–63 of a-z 0-9 . -).") var name: String

        func run() async throws {
            do {
                try Names.validateBucket(name)
            } catch let e as CoreError {
                throw AdminError(e.message)
            }
            guard User.isValidName(owner) else { throw AdminError("--owner: \"\(owner)\" is not a user name (1-64 letters, digits and +=,.@_-)") }
            try await store.withStore { s in
                guard try await s.metadata.createBucket(BucketRecord(name: name, created: Date(), region: region, ownerName: owner)) else {
                    throw AdminError("bucket \(name) exists already")
                }
            }
            print("created bucket \(name)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an empty bucket (no objects, no incomplete uploads).")
        @OptionGroup var store: DataDirOption
        @Argument(help: "Bucket name.") var name: String

        func run() async throws {
            try await store.withStore { s in
                do {
                    try await s.metadata.deleteBucket(named: name)
                } catch let e as CoreError where e.code == "NoSuchBucket" {
                    throw AdminError("no such bucket: \(name)")
                } catch let e as CoreError where e.code == "BucketNotEmpty" {
                    let u = try await s.metadata.usage(bucket: name)
                    throw AdminError("bucket \(name) is not empty (\(u.objects) objects, \(u.uploads) incomplete uploads)")
                }
            }
            print("deleted bucket \(name)")
        }
    }
}

// MARK: uploads

struct Uploads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and abort incomplete multipart uploads in a data directory.",
        subcommands: [List.self, Abort.self]
    )

    struct Selection: ParsableArguments {
        @Option(help: "Only uploads in this bucket.") var bucket: String?
        @Option(help: "Only uploads initiated more than this many seconds ago.") var olderThan: Double?

        func uploads(_ s: AdminStore.Opened, now: Date = Date()) async throws -> [UploadRecord] {
            let before = olderThan.map { now.addingTimeInterval(-$0) } ?? .distantFuture
            return try await s.metadata.uploads(initiatedBefore: before, limit: Int(Int32.max)).filter { bucket == nil || $0.bucket == bucket }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incomplete uploads, oldest first.")
        @OptionGroup var store: DataDirOption
        @OptionGroup var selection: Selection

        func run() async throws {
            try await store.withStore { s in
                var rows = [["UPLOAD ID", "BUCKET", "KEY", "INITIATED", "PARTS", "BYTES"]]
                for u in try await selection.uploads(s) {
                    let p = try await s.metadata.partUsage(uploadID: u.uploadID)
                    rows.append([u.uploadID, u.bucket, u.key, iso(u.initiated), "\(p.count)", "\(p.bytes)"])
                }
                print(table(rows))
            }
        }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Abort incomplete uploads and delete their parts.",
            discussion: "Give upload IDs, or select with --older-than and/or --bucket, or --all.")
        @OptionGroup var store: DataDirOption
        @OptionGroup var selection: Selection
        @Flag(help: "Abort every incomplete upload (in --bucket, if given).") var all = false
        @Argument(help: ArgumentHelp("Upload IDs to abort.", valueName: "upload-id")) var uploadIDs: [String] = []

        func validate() throws {
            if uploadIDs.isEmpty && selection.olderThan == nil && !all {
                throw ValidationError("give upload IDs, --older-than SECONDS, or --all")
            }
            if !uploadIDs.isEmpty && (selection.olderThan != nil || all) {
                throw ValidationError("give either upload IDs or a selection (--older-than, --all), not both")
            }
        }

        func run() async throws {
            let (aborted, missing, freed) = try await store.withStore { s in
                var ids = uploadIDs
                if ids.isEmpty { ids = try await selection.uploads(s).map(\.uploadID) }
                var aborted = 0, missing: [String] = []
                for id in ids {
                    do {
                        if let bucket = selection.bucket, let u = try await s.metadata.upload(id: id), u.bucket != bucket {
                            missing.append(id); continue
                        }
                        try await s.metadata.abortUpload(uploadID: id)
                        aborted += 1
                    } catch let e as CoreError where e.code == "NoSuchUpload" {
                        missing.append(id)
                    }
                }
                return (aborted, missing, try await AdminStore.collectPartGarbage(s))
            }
            print("aborted \(aborted) upload\(aborted == 1 ? "" : "s"), deleted \(freed) part blob\(freed == 1 ? "" : "s")")
            // Uploads picked by a selection may have been completed or aborted meanwhile: only named ones must exist.
            if !missing.isEmpty && !uploadIDs.isEmpty {
                throw AdminError("no such upload: \(missing.joined(separator: ", "))")
            }
        }
    }
}

// MARK: fsck

struct Fsck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check metadata against blobs: orphan blob files, objects and parts whose blobs are missing, SQLite integrity.",
        discussion: """
        Safe on a running instance: blob files younger than --min-age are never called orphans (a running daemon \\
        writes a blob before the metadata naming it), and a missing blob is re-checked against fresh metadata before \\
        it is reported. Exit status 0 when nothing is wrong (after repairs), 1 otherwise.
        """
    )

    @OptionGroup var store: DataDirOption

    @Flag(help: "Delete orphan blob files (blobs no metadata names, older than --min-age).")
    var repair = false

    @Flag(help: "With --repair: also remove objects and parts whose blob files are missing (their data is lost already).")
    var dropMissing = false

    @Option(help: "Only blob files last modified at least this many seconds ago can be orphans.")
    var minAge: Double = 600

    func validate() throws {
        if dropMissing && !repair { throw ValidationError("--drop-missing needs --repair") }
        if minAge < 0 { throw ValidationError("--min-age must not be negative") }
    }

    func run() async throws {
        var options = StorageCore.Fsck.Options()
        options.minAge = minAge
        options.repairOrphans = repair
        options.dropMissing = dropMissing
        let r = try await store.withStore { s in
            try await StorageCore.Fsck(metadata: s.metadata, blobs: s.blobs).run(options, progress: ProgressLine("fsck"))
        }

        let missingObjects = Dictionary(grouping: r.missingObjectBlobs) { "\($0.bucket)/\($0.key)" }
        print("integrity_check: \(r.integrity)")
        print("blobs:   \(r.blobsScanned) scanned, \(r.orphans.count) orphan(s)"
              + (r.youngUnreferenced > 0 ? ", \(r.youngUnreferenced) unreferenced but younger than \(Int(minAge)) s (left alone)" : ""))
        print("objects: \(r.objectsScanned) scanned, \(missingObjects.count) with missing blobs")
        print("parts:   \(r.partsScanned) scanned, \(r.missingPartBlobs.count) with missing blobs")
        for id in r.orphans { print("orphan blob \(id)") }
        for m in r.missingObjectBlobs { print("missing blob \(m.blob) of object s3://\(m.bucket)/\(m.key)") }
        for m in r.missingPartBlobs {
            print("missing blob \(m.blob) of part \(m.partNumber) of upload \(m.uploadID) (s3://\(m.bucket)/\(m.key))")
        }
        if repair {
            print("repair: deleted \(r.orphansDeleted) orphan blob(s)"
                  + (dropMissing ? ", removed \(r.objectsDropped) object(s) and \(r.partsDropped) part(s) with missing blobs" : "")
                  + (r.lockedKept.isEmpty ? "" : "; kept \(r.lockedKept.count) version(s) under Object Lock (never removed)"))
        }
        let remaining = r.remainingProblems
        if remaining == 0 {
            print("fsck: no problems" + (repair && r.orphansDeleted + r.objectsDropped + r.partsDropped > 0 ? " remain" : ""))
            return
        }
        var hints: [String] = []
        if r.orphans.count > r.orphansDeleted { hints.append("--repair deletes orphans") }
        if !dropMissing && (!r.missingObjectBlobs.isEmpty || !r.missingPartBlobs.isEmpty) {
            hints.append("--repair --drop-missing removes objects and parts whose blobs are gone")
        }
        if !r.integrityOK { hints.append("restore metadata.sqlite from a backup (see docs/operator-guide.md)") }
        print("fsck: \(remaining) problem(s)" + (hints.isEmpty ? "" : "; " + hints.joined(separator: "; ")))
        throw ExitCode(1)
    }
}
