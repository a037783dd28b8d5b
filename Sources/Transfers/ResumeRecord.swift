import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StorageCore
import WireFormats

/// What `tessera cp` keeps between runs so an interrupted transfer can continue: a small JSON file written durably
/// (temporary file, fsync, rename, fsync of the directory). Uploads keep theirs under `$XDG_CACHE_HOME/tessera`
/// (else `~/.cache/tessera`), named by a hash of where the file goes; downloads beside the partial file.
public struct ResumeRecord<Content: Codable>: Sendable where Content: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The record for uploading `source` to `destination` (any string naming the endpoint, bucket and key).
    public static func upload(source: String, destination: String, kind: String = "uploads",
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> ResumeRecord {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        let name = Hex.encode(SHA256.hash(data: Array((destination + "\n" + source).utf8)))
        return ResumeRecord(path: cache + "/tessera/\(kind)/\(name).json")
    }

    /// nil when there is none; a record that cannot be read is an error (never silently started over).
    public func load() throws -> Content? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw TransferError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(Content.self, from: data)
        } catch {
            throw TransferError("\(path) is not a transfer record tessera cp wrote (\(error)); remove it to start the transfer over")
        }
    }

    public func save(_ content: Content) throws {
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(try encoder.encode(content), to: path, mode: 0o600)
    }

    public func remove() throws {
        if unlink(path) != 0 && errno != ENOENT { throw TransferError("cannot remove \(path): errno \(errno)") }
    }
}

public struct TransferError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
