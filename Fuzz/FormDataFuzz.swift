// libFuzzer target: the streaming multipart/form-data parser (Sources/FormData, MultipartFormParser) and
// the two readers over it that see untrusted request bodies (see Fuzz/fuzz.sh):
//   - FormFieldStream (Sources/TasksAPI/FormFieldStream.swift): the task API's chunk
//     endpoint, POST /api/files/upload/chunk/<task>/<index>, which streams the field `chunk`;
//   - PostFormReader (Sources/S3API/PostObject.swift): PostObject (presigned POST), which
//     keeps the fields before the `file` part and then streams the file.
// Both classes are extracted from their sources at build time; this file stands in for what they use
// from Hummingbird and StorageCore (`RequestBody`, `CoreError`).
//
// Input: byte 0 = options, byte 1 = slicing seed, then
//   options bit 0 = 0 (raw): a Content-Type line, then the body, as sent;
//   options bit 0 = 1 (described): the harness writes a well-formed multipart/form-data body (boundary
//     and parts taken from the input) and requires both readers to return exactly what was written.
//
// Properties, for every input: no trap; the parser alone reports the same headers, body bytes, part ends
// and error whether the body arrives in one piece or in pseudo-random slices (empty ones included), and
// never an empty body piece; the readers read the body the same way whole or sliced, except that bytes
// past the end of what a reader needs are only parsed when they arrive with it, so one piece may fail
// where slices succeed, never the other way round; a reader never hands on more bytes than the body has;
// errors are the ones the endpoints map to 400 (CoreError InvalidArgument / PostPolicy codes).
import Foundation
import NIOCore

// MARK: stand-ins for Hummingbird's RequestBody and StorageCore's CoreError

/// The request body as the server hands it over: a sequence of ByteBuffers.
struct RequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: [ByteBuffer]
        var index = 0
        mutating func next() async throws -> ByteBuffer? {
            guard index < chunks.count else { return nil }
            defer { index += 1 }
            return chunks[index]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks) }
}

/// The members of StorageCore's CoreError that the extracted readers use (same codes).
struct CoreError: Error, Equatable {
    var code: String
    var message: String
    init(_ code: String, _ message: String) { self.code = code; self.message = message }
    init(_ e: PostPolicyError) { self.init(e.code, e.message) }
    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> CoreError {
        CoreError("InvalidArgument", message)
    }
    static let incompleteBody = CoreError("IncompleteBody", "incomplete body")
}

// MARK: running the readers

/// What a reader made of one body.
struct FormOutcome: Equatable {
    var fields: [PostForm.Field] = []
    var fileName: String?
    var hasFile = false
    var bytes: [UInt8] = []
    var error: String?
}

final class OutcomeBox: @unchecked Sendable { var value = FormOutcome() }

/// Runs the jobs of the tasks that prefer it on the thread that calls `drain`: the readers are async,
/// but the stand-in body never suspends, so a call runs start to end on the fuzzing thread (a hop to
/// the global pool and back per call cost more than the parsing, and far more on a loaded machine).
final class InlineExecutor: TaskExecutor, @unchecked Sendable {
    private var jobs: [UnownedJob] = []

    func enqueue(_ job: consuming ExecutorJob) { jobs.append(UnownedJob(job)) }

    func drain() {
        while !jobs.isEmpty { jobs.removeFirst().runSynchronously(on: asUnownedTaskExecutor()) }
    }
}

let inlineExecutor = InlineExecutor()

func runBlocking(_ body: @escaping @Sendable () async -> FormOutcome) -> FormOutcome {
    let box = OutcomeBox()
    let done = OutcomeBox()
    Task(executorPreference: inlineExecutor) {
        box.value = await body()
        done.value.hasFile = true
    }
    inlineExecutor.drain()
    invariant(done.value.hasFile, "the reader suspended on something other than the body")
    return box.value
}

func errorCode(_ error: any Error) -> String {
    if let e = error as? CoreError { return e.code }
    return "unexpected \(type(of: error)): \(error)"
}

/// As TasksService.chunk: the boundary from the Content-Type, then the `chunk` field's bytes.
func readTaskChunk(boundary: String, chunks: [ByteBuffer]) -> FormOutcome {
    runBlocking {
        var outcome = FormOutcome()
        let stream = FormFieldStream(boundary: boundary, body: RequestBody(chunks: chunks), field: "chunk")
        do {
            for try await buffer in stream { outcome.bytes += buffer.readableBytesView }
            invariant(stream.found, "the field ended without having been found")
        } catch {
            outcome.error = errorCode(error)
        }
        return outcome
    }
}

/// As S3Service.postObject: the fields, then the file's bytes as PostFileBody pulls them.
func readPostForm(boundary: String, chunks: [ByteBuffer]) -> FormOutcome {
    runBlocking {
        var outcome = FormOutcome()
        let reader = PostFormReader(boundary: boundary, body: RequestBody(chunks: chunks))
        do {
            try await reader.readFields()
            outcome.fields = reader.form.fields
            outcome.fileName = reader.fileName
            outcome.hasFile = reader.hasFile
            while let buffer = try await reader.nextFileChunk() {
                invariant(reader.hasFile, "file bytes without a file part")
                invariant(buffer.readableBytes > 0, "an empty file chunk")
                outcome.bytes += buffer.readableBytesView
            }
            // Once the file is over, it stays over.
            let after = try await reader.nextFileChunk()
            invariant(after == nil, "file bytes after the end of the file")
        } catch {
            outcome.error = errorCode(error)
        }
        return outcome
    }
}

/// The body as ByteBuffers: one, or pseudo-random slices (mostly short, some empty, some the rest).
func slices(_ body: [UInt8], _ random: FuzzRandom?) -> [ByteBuffer] {
    guard var random else { return [ByteBuffer(bytes: body)] }
    var out: [ByteBuffer] = []
    var offset = 0
    repeat {
        var take = body.count - offset
        switch random.upTo(7) {
        case 0: take = 0
        case 1: break
        default: take = min(take, random.upTo(12))
        }
        out.append(ByteBuffer(bytes: body[offset..<(offset + take)]))
        offset += take
    } while offset < body.count
    return out
}

/// Whole vs. sliced: a failure with slices implies one in a single piece (the single piece parses
/// everything the slices did, and possibly more); when both succeed they agree entirely.
func checkSlicing(_ whole: FormOutcome, _ sliced: FormOutcome, _ what: String) {
    if sliced.error != nil {
        invariant(whole.error != nil, "\(what): slices failed (\(sliced.error!)) where one piece succeeded")
    }
    if whole.error == nil && sliced.error == nil {
        invariant(whole == sliced, "\(what): slicing changed what was read")
    }
}

func checkError(_ outcome: FormOutcome, allowed: Set<String>, _ what: String) {
    if let e = outcome.error { invariant(allowed.contains(e), "\(what): error \(e)") }
}

// MARK: the parser alone

/// What the parser reported, consecutive body pieces joined; an error or the result of `finish()` last.
enum ParserEvent: Equatable {
    case header(String, [UInt8])
    case body([UInt8])
    case partEnd
    case end
    case error(MultipartFormError)
    case finished
}

func parserEvents(boundary: String, chunks: [ByteBuffer]) -> [ParserEvent] {
    var events: [ParserEvent] = []
    do {
        var parser = try MultipartFormParser(boundary: boundary)
        for chunk in chunks {
            try chunk.withUnsafeReadableBytes { bytes throws(MultipartFormError) in
                try parser.feed(bytes) { event in
                    switch event {
                    case .header(let name, let value):
                        invariant(!name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") },
                                  "parser: header name \(name.debugDescription)")
                        events.append(.header(name, Array(value)))
                    case .body(let bytes):
                        invariant(!bytes.isEmpty, "parser: an empty body piece")
                        if case .body(let before) = events.last {
                            events[events.count - 1] = .body(before + bytes)
                        } else {
                            events.append(.body(Array(bytes)))
                        }
                    case .partEnd: events.append(.partEnd)
                    case .end: events.append(.end)
                    }
                }
            }
        }
        try parser.finish()
        events.append(.finished)
    } catch {
        events.append(.error(error))
    }
    return events
}

/// The parser on `body`, whole and sliced: the same report either way.
func checkParser(boundary: String, body: [UInt8], random: FuzzRandom) {
    let whole = parserEvents(boundary: boundary, chunks: slices(body, nil))
    let sliced = parserEvents(boundary: boundary, chunks: slices(body, random))
    invariant(whole == sliced, "parser: slicing changed what was reported")
    var bodyBytes = 0
    for case .body(let b) in whole { bodyBytes += b.count }
    invariant(bodyBytes <= body.count, "parser: more body bytes than the input")
}

// MARK: described bodies

/// bchars of RFC 2046 except space (a quoted boundary may hold ':' '=' '/' '?' ...).
let boundaryChars = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?".utf8)
let partNames = ["chunk", "file", "key", "policy", "x-amz-meta-a", "FILE", "Chunk", "chunk2", "success_action_status", "x"]
let fileNames = ["a.txt", "C:\\dir\\b.bin", "dir/c", "", "${filename}", "d;e=f.txt"]

struct DescribedPart {
    var name: String
    var fileName: String?
    var data: [UInt8]
}

struct DescribedBody {
    var contentType: String
    var boundary: String
    var body: [UInt8]
    var parts: [DescribedPart]
    /// Where the body holds "\r\n--boundary" as written (the first delimiter may lack its CRLF).
    var delimiters: [Int]
}

func describe(_ input: inout FuzzInput) -> DescribedBody {
    let style = input.byte()
    let length = Int(input.byte()) % 70 + 1
    var boundary = String(decoding: input.take(length).map { boundaryChars[Int($0) % boundaryChars.count] }, as: UTF8.self)
    if boundary.isEmpty { boundary = "B" }  // the input ran out: a client always sends one
    let quote = style & 1 != 0 || boundary.utf8.contains { ":=/?'(),".utf8.contains($0) }
    let contentType = "multipart/form-data; boundary=" + (quote ? "\"\(boundary)\"" : boundary)
    var parts: [DescribedPart] = []
    while input.remaining > 0 {
        let kind = input.byte()
        let name = partNames[Int(kind & 15) % partNames.count]
        let fileName = kind & 16 != 0 ? fileNames[Int(kind >> 5) % fileNames.count] : nil
        let data = Array(input.take(Int(input.byte())))
        parts.append(DescribedPart(name: name, fileName: fileName, data: data))
    }
    var body: [UInt8] = []
    var delimiters: [Int] = []
    if style & 2 != 0 { body += Array("This is the preamble.\r\n".utf8) }
    for (i, part) in parts.enumerated() {
        if i > 0 || style & 2 != 0 { delimiters.append(body.count) }
        body += Array(((i == 0 && style & 2 == 0 ? "" : "\r\n") + "--" + boundary + "\r\n").utf8)
        var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
        if let f = part.fileName {
            disposition += "; filename=\"" + f.replacingOccurrences(of: "\\", with: "\\\\") + "\""
        }
        if style & 4 != 0 { body += Array("Content-Type: application/octet-stream\r\n".utf8) }
        body += Array((disposition + "\r\n\r\n").utf8)
        body += part.data
    }
    delimiters.append(body.count)
    body += Array(("\r\n--" + boundary + "--" + (style & 8 != 0 ? "\r\nepilogue\r\n" : "\r\n")).utf8)
    return DescribedBody(contentType: contentType, boundary: boundary, body: body, parts: parts, delimiters: delimiters)
}

/// Every position where `needle` starts in `haystack`.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
    var out: [Int] = []
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
        if haystack[i..<(i + needle.count)].elementsEqual(needle) { out.append(i) }
    }
    return out
}

/// What each reader must return for a described body whose data never contains the delimiter.
func checkDescribed(_ d: DescribedBody, task: FormOutcome, post: FormOutcome) {
    // Task API: the first part named exactly `chunk`.
    if let chunk = d.parts.first(where: { $0.name == "chunk" }) {
        invariant(task.error == nil, "task API: a well-formed body failed: \(task.error!)")
        invariant(task.bytes == chunk.data, "task API: read \(task.bytes.count) bytes, the chunk has \(chunk.data.count)")
    } else {
        invariant(task.error == "InvalidArgument", "task API: no chunk field but \(task.error ?? "success")")
    }
    // PostObject: the fields before the first part named `file` (any case), then that part's data.
    var form = PostForm()
    var formError: String?
    var file: DescribedPart?
    for part in d.parts {
        if part.name.lowercased() == "file" { file = part; break }
        do {
            try form.append(name: part.name, value: String(decoding: part.data, as: UTF8.self))
        } catch {
            formError = error.code
            break
        }
    }
    if let formError {
        invariant(post.error == formError, "PostObject: expected \(formError), got \(post.error ?? "success")")
    } else if file == nil && form.fields.isEmpty {
        invariant(post.error == PostPolicyError.malformed.code, "PostObject: empty form gave \(post.error ?? "success")")
    } else {
        invariant(post.error == nil, "PostObject: a well-formed form failed: \(post.error!)")
        invariant(post.fields == form.fields, "PostObject: fields differ")
        invariant(post.hasFile == (file != nil), "PostObject: hasFile \(post.hasFile)")
        if let file {
            invariant(post.fileName == (file.fileName ?? ""), "PostObject: file name \(post.fileName ?? "nil") != \(file.fileName ?? "")")
            invariant(post.bytes == file.data, "PostObject: read \(post.bytes.count) file bytes, the part has \(file.data.count)")
        }
    }
}

// MARK: entry point

let taskErrors: Set<String> = ["InvalidArgument"]
let postErrors: Set<String> = [PostPolicyError.malformed.code, PostPolicyError.preDataTooLarge.code, "IncompleteBody"]

@_cdecl("LLVMFuzzerTestOneInput")
public func formDataFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let options = input.byte()
    let random = FuzzRandom(seed: UInt64(input.byte()) | UInt64(size) << 8)

    let contentType: String
    let body: [UInt8]
    var described: DescribedBody?
    if options & 1 == 0 {
        let rest = input.rest()
        let lf = rest.firstIndex(of: 0x0a) ?? rest.endIndex
        contentType = String(decoding: rest[..<lf], as: UTF8.self)
        body = Array(rest[(lf < rest.endIndex ? lf + 1 : lf)...])
    } else {
        let d = describe(&input)
        // Data that holds the delimiter (alone or with what surrounds it) ends its part early: a client
        // would have picked another boundary. Such bodies are still read, without the expectations.
        if occurrences(of: Array(("\r\n--" + d.boundary).utf8), in: d.body) == d.delimiters { described = d }
        contentType = d.contentType
        body = d.body
    }

    if let boundary = ContentDisposition(contentType)?.parameters["boundary"], !boundary.isEmpty {
        checkParser(boundary: boundary, body: body, random: random)
    }

    // The task API: TasksService.chunk answers 400 without reading the body when there is no boundary.
    var task: FormOutcome?
    if let boundary = FormFieldStream.boundary(contentType) {
        let whole = readTaskChunk(boundary: boundary, chunks: slices(body, nil))
        let sliced = readTaskChunk(boundary: boundary, chunks: slices(body, random))
        checkError(whole, allowed: taskErrors, "task API")
        checkError(sliced, allowed: taskErrors, "task API")
        invariant(whole.bytes.count <= body.count && sliced.bytes.count <= body.count, "task API: more bytes than the body")
        checkSlicing(whole, sliced, "task API")
        task = whole
    } else {
        invariant(described == nil, "task API: no boundary in \(contentType)")
    }

    // PostObject: the same boundary check as S3Service.postObject, before any byte of the body is read.
    var post: FormOutcome?
    if let boundary = ContentDisposition(contentType)?.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 {
        let whole = readPostForm(boundary: boundary, chunks: slices(body, nil))
        let sliced = readPostForm(boundary: boundary, chunks: slices(body, random))
        checkError(whole, allowed: postErrors, "PostObject")
        checkError(sliced, allowed: postErrors, "PostObject")
        invariant(whole.bytes.count <= body.count && sliced.bytes.count <= body.count, "PostObject: more bytes than the body")
        checkSlicing(whole, sliced, "PostObject")
        post = whole
    } else {
        invariant(described == nil, "PostObject: no boundary in \(contentType)")
    }

    if let described, let task, let post { checkDescribed(described, task: task, post: post) }
    return 0
}
