import FormData
import Foundation
import Hummingbird
import NIOCore
import StorageCore

/// Streams one field of a multipart/form-data body (e.g. the task API's `chunk`) without keeping it:
/// other parts are skipped, and the field's bytes are handed on as they are parsed.
final class FormFieldStream: AsyncSequence, @unchecked Sendable {
    typealias Element = ByteBuffer
    /// nil when the parser refused the boundary (reading then fails as malformed).
    private var parser: MultipartFormParser?
    private var source: RequestBody.AsyncIterator
    private let field: String
    private var inField = false
    private var partName: String?
    private(set) var found = false
    private var finished = false
    private var pending: [ByteBuffer] = []

    init(boundary: String, body: RequestBody, field: String) {
        parser = try? MultipartFormParser(boundary: boundary)
        source = body.makeAsyncIterator()
        self.field = field
    }

    private func handle(_ event: MultipartFormParser.Event) {
        switch event {
        case .header(let name, let value):
            guard name.lowercased() == "content-disposition" else { return }
            // A value that is not UTF-8 reads as empty (no name).
            partName = Self.dispositionName(String(validating: value, as: UTF8.self) ?? "")
            inField = partName == field && !found
            if inField { found = true }
        case .body(let bytes):
            if inField { pending.append(ByteBuffer(bytes: bytes)) }
        case .partEnd:
            if inField { inField = false; finished = true }
        case .end:
            break
        }
    }

    /// `boundary` of a multipart/form-data Content-Type, or nil.
    static func boundary(_ contentType: String?) -> String? {
        guard let ct = contentType, ct.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for p in ct.split(separator: ";").dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                // `boundary=""` leaves nothing: no boundary (the parser refuses an empty one).
                let boundary = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return boundary.isEmpty ? nil : boundary
            }
        }
        return nil
    }

    static func dispositionName(_ value: String) -> String? {
        for p in value.split(separator: ";").dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "name" { return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    func makeAsyncIterator() -> Iterator { Iterator(stream: self) }

    struct Iterator: AsyncIteratorProtocol {
        let stream: FormFieldStream
        mutating func next() async throws -> ByteBuffer? { try await stream.nextBytes() }
    }

    private func nextBytes() async throws -> ByteBuffer? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if finished { return nil }
            guard let chunk = try await source.next() else {
                throw CoreError.invalidArgument(found ? "The form ended inside the '\(field)' field" : "Missing form field '\(field)'")
            }
            do {
                guard parser != nil else { throw MultipartFormError.invalidBoundary }
                try chunk.withUnsafeReadableBytes { bytes throws(MultipartFormError) in try parser?.feed(bytes, handle) }
            } catch {
                throw CoreError.invalidArgument("Malformed multipart/form-data body")
            }
        }
    }
}
