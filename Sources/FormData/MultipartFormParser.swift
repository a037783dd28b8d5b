/// A streaming reader of multipart/form-data bodies (RFC 7578), framed as RFC 2046 §5.1.1 says:
///
///     multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
///                       body-part *encapsulation close-delimiter transport-padding [CRLF epilogue]
///     dash-boundary  := "--" boundary          delimiter       := CRLF dash-boundary
///     encapsulation  := delimiter transport-padding CRLF body-part
///     close-delimiter := delimiter "--"        transport-padding := *(SP / HTAB)
///     body-part      := header lines, an empty line, then the body's bytes
///
/// Feed it the body in chunks of any size; it reports what it finds through `handle`, in order:
/// each part's header lines, its body's bytes, the part's end, and the end of the form. The result
/// does not depend on where the chunks are cut, except that a body's bytes may be reported in more
/// or fewer pieces.
///
/// What it holds between chunks is bounded: the delimiter (boundary + 4 bytes), and the current part's
/// header line, which cannot grow past `maxHeaderBlockBytes`. Body bytes are handed on as they
/// arrive; only a chunk's trailing bytes that may be the start of a delimiter are held back, and not
/// copied: they are a prefix of the delimiter, so the parser keeps just their count.
///
/// A part may end right after its header block (`body-part := MIME-part-headers [CRLF *OCTET]`): the
/// CRLF of the empty line is then also the delimiter's, as in "--b CRLF A: 1 CRLF CRLF --b--".
///
/// Leniencies: the first delimiter may open the body without its CRLF (there is then no preamble); a
/// form may close with no part ("--boundary--"); everything after the close delimiter is ignored
/// unread. Header values may hold any byte but CR (their charset is the caller's business).
public struct MultipartFormParser: Sendable {
    /// Largest header block of one part, from its first byte through the CRLF of the empty line that
    /// ends it. 16 KiB: browsers send a Content-Disposition and perhaps a Content-Type, well under 1 KiB
    /// unless the file name is very long.
    public static let maxHeaderBlockBytes = 16 * 1024

    /// CR LF "--" boundary.
    private let delimiter: [UInt8]
    private var state = State.lineStart(matched: 0)
    /// Whether a part is open (false in the preamble and after the close delimiter).
    private var inPart = false
    /// The header line being read, without its CRLF.
    private var line: [UInt8] = []
    /// Index in `line` of the colon that ends the header's name, once read.
    private var colon: Int?
    /// Bytes of the current header block read so far.
    private var headerBytes = 0

    private enum State {
        /// Where "--" boundary is a delimiter without a CRLF before it: at the very start of the body, and
        /// right after a header block (whose last CRLF may be the delimiter's). `matched` bytes of it seen.
        case lineStart(matched: Int)
        /// In the preamble or a part's body. The last `matched` bytes seen are the start of the
        /// delimiter (held back until the next bytes tell whether they are one).
        case data(matched: Int)
        /// Right after a boundary: "--", padding or CR comes next.
        case afterBoundary
        /// In the transport padding after a boundary.
        case padding
        /// After a boundary's first "-": the second one closes the form.
        case closeDash
        /// After the CR that ends a delimiter line.
        case delimiterLF
        /// In a header line.
        case headerLine
        /// After the CR that ends a header line.
        case headerLF
        /// After the close delimiter.
        case epilogue
        /// After an error, thrown again by every later call.
        case failed(MultipartFormError)
    }

    /// What the parser reports, in the order it is found.
    public enum Event {
        /// One header line of the current part: its name as sent (a token, so ASCII), and its value
        /// without the spaces and tabs around it.
        case header(name: String, value: ArraySlice<UInt8>)
        /// The next bytes of the current part's body. Valid only during the `handle` call (they point
        /// into the chunk being fed, or into the parser's delimiter); never empty.
        case body(UnsafeRawBufferPointer)
        /// The current part is complete: the delimiter line after its body was read.
        case partEnd
        /// The close delimiter was read. Nothing after it is parsed.
        case end
    }

    /// `boundary`: the Content-Type's boundary parameter, unquoted. RFC 2046 allows 1 to 70 bchars;
    /// longer ones and other bytes are accepted (callers set their own limit), but not an empty
    /// boundary or one holding CR or LF.
    public init(boundary: some Collection<UInt8>) throws(MultipartFormError) {
        guard !boundary.isEmpty else { throw .emptyBoundary }
        guard !boundary.contains(where: { $0 == .cr || $0 == .lf }) else { throw .invalidBoundary }
        delimiter = [.cr, .lf, .dash, .dash] + boundary
    }

    public init(boundary: String) throws(MultipartFormError) {
        try self.init(boundary: boundary.utf8)
    }

    /// Whether the close delimiter has been read.
    public var isComplete: Bool {
        if case .epilogue = state { return true }
        return false
    }

    /// Call at the end of the input: throws `truncated` unless the close delimiter was read (or the
    /// error an earlier call threw).
    public func finish() throws(MultipartFormError) {
        if case .failed(let error) = state { throw error }
        guard isComplete else { throw .truncated }
    }

    /// Parses the next chunk of the body, reporting what it completes to `handle`.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) -> Void) throws(MultipartFormError) {
        try parse(chunk, handle)
    }

    /// Parses the next chunk of the body, reporting what it completes to `handle` (without a copy when
    /// the collection is contiguous, as arrays and slices of them are).
    public mutating func feed(_ chunk: some Collection<UInt8>, _ handle: (Event) -> Void) throws(MultipartFormError) {
        var failure: MultipartFormError?
        let parsed: Void? = chunk.withContiguousStorageIfAvailable { bytes in
            do throws(MultipartFormError) { try parse(UnsafeRawBufferPointer(bytes), handle) } catch { failure = error }
        }
        if parsed == nil {
            Array(chunk).withUnsafeBytes { bytes in
                do throws(MultipartFormError) { try parse(bytes, handle) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    private mutating func parse(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) -> Void) throws(MultipartFormError) {
        do {
            try parseBytes(chunk, handle)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func parseBytes(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) -> Void) throws(MultipartFormError) {
        if case .failed(let error) = state { throw error }
        var i = 0
        while i < chunk.count {
            switch state {
            case .lineStart(let matched):
                // "--" boundary: the delimiter without its CRLF.
                if chunk[i] == delimiter[2 + matched] {
                    i += 1
                    state = 2 + matched + 1 == delimiter.count ? .afterBoundary : .lineStart(matched: matched + 1)
                } else {
                    // A preamble or a body. The bytes matched so far were data; they hold no CR, so no
                    // delimiter starts among them: look at this byte again as the first possible CR.
                    emitDelimiterBytes(2..<(2 + matched), handle)
                    state = .data(matched: 0)
                }
            case .data(let matched):
                i = scanData(chunk, from: i, matched: matched, handle)
            case .afterBoundary:
                switch chunk[i] {
                case .dash: state = .closeDash
                case .space, .tab: state = .padding
                case .cr: state = .delimiterLF
                default: throw .malformedDelimiterLine
                }
                i += 1
            case .padding:
                switch chunk[i] {
                case .space, .tab: break
                case .cr: state = .delimiterLF
                default: throw .malformedDelimiterLine
                }
                i += 1
            case .closeDash:
                guard chunk[i] == .dash else { throw .malformedDelimiterLine }
                i += 1
                if inPart { handle(.partEnd) }
                inPart = false
                state = .epilogue
                handle(.end)
            case .delimiterLF:
                guard chunk[i] == .lf else { throw .bareCarriageReturn }
                i += 1
                if inPart { handle(.partEnd) }
                inPart = true
                headerBytes = 0
                state = .headerLine
            case .headerLine, .headerLF:
                i = try scanHeaders(chunk, from: i, handle)
            case .epilogue, .failed:
                return
            }
        }
    }

    /// Preamble or body bytes from `chunk[i...]`, up to the end of the chunk or of the next delimiter.
    /// Returns where to go on.
    private mutating func scanData(
        _ chunk: UnsafeRawBufferPointer, from start: Int, matched: Int, _ handle: (Event) -> Void
    ) -> Int {
        let count = delimiter.count
        var i = start
        if matched > 0 {
            // Go on with a delimiter begun in an earlier chunk.
            var m = matched
            while m < count, i < chunk.count, chunk[i] == delimiter[m] {
                m += 1
                i += 1
            }
            if m == count {
                state = .afterBoundary
            } else if i == chunk.count {
                state = .data(matched: m)
            } else {
                // Not a delimiter: what matched was data. It holds no CR after its first byte (the
                // boundary has none), so no delimiter starts inside it; the byte that did not match is
                // looked at again.
                emitDelimiterBytes(0..<m, handle)
                state = .data(matched: 0)
            }
            return i
        }
        let runStart = i
        while i < chunk.count {
            guard chunk[i] == .cr else {
                i += 1
                continue
            }
            // Compare the delimiter with what follows this CR, as far as the chunk goes.
            let available = min(count, chunk.count - i)
            var m = 1
            while m < available, chunk[i + m] == delimiter[m] { m += 1 }
            if m == count {
                emitBody(chunk, runStart..<i, handle)
                state = .afterBoundary
                return i + count
            }
            if m == available {
                // The chunk ends inside what may be a delimiter: hold those bytes back.
                emitBody(chunk, runStart..<i, handle)
                state = .data(matched: m)
                return chunk.count
            }
            i += 1
        }
        emitBody(chunk, runStart..<chunk.count, handle)
        return chunk.count
    }

    /// Header-block bytes from `chunk[i...]`, up to the end of the chunk or of the block. Returns where
    /// to go on.
    private mutating func scanHeaders(
        _ chunk: UnsafeRawBufferPointer, from start: Int, _ handle: (Event) -> Void
    ) throws(MultipartFormError) -> Int {
        var i = start
        while i < chunk.count {
            let byte = chunk[i]
            i += 1
            headerBytes += 1
            guard headerBytes <= Self.maxHeaderBlockBytes else { throw .headerBlockTooLarge }
            if case .headerLF = state {
                guard byte == .lf else { throw .bareCarriageReturn }
                state = .headerLine
                if line.isEmpty {
                    // The empty line: the body begins (or a delimiter follows at once).
                    state = .lineStart(matched: 0)
                    return i
                }
                guard let colon else { throw .malformedHeader }
                handle(.header(name: String(decoding: line[..<colon], as: UTF8.self), value: Self.trimmed(line[(colon + 1)...])))
                line.removeAll(keepingCapacity: true)
                self.colon = nil
            } else if byte == .cr {
                state = .headerLF
            } else if colon != nil {
                line.append(byte)  // the value: any byte but CR
            } else if byte == .colon {
                guard !line.isEmpty else { throw .malformedHeader }
                colon = line.count
                line.append(byte)
            } else {
                guard byte.isTokenCharacter else { throw .malformedHeader }
                line.append(byte)
            }
        }
        return i
    }

    private func emitBody(_ chunk: UnsafeRawBufferPointer, _ range: Range<Int>, _ handle: (Event) -> Void) {
        guard inPart, !range.isEmpty else { return }
        handle(.body(UnsafeRawBufferPointer(rebasing: chunk[range])))
    }

    /// Reports the delimiter's bytes in `range` as body bytes (they turned out not to be one).
    private func emitDelimiterBytes(_ range: Range<Int>, _ handle: (Event) -> Void) {
        guard inPart, !range.isEmpty else { return }
        delimiter.withUnsafeBytes { handle(.body(UnsafeRawBufferPointer(rebasing: $0[range]))) }
    }

    /// `value` without leading and trailing spaces and tabs (RFC 9110 OWS).
    private static func trimmed(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var v = value
        while let b = v.first, b == .space || b == .tab { v.removeFirst() }
        while let b = v.last, b == .space || b == .tab { v.removeLast() }
        return v
    }
}

extension UInt8 {
    fileprivate static let tab: UInt8 = 0x09
    fileprivate static let lf: UInt8 = 0x0A
    fileprivate static let cr: UInt8 = 0x0D
    fileprivate static let space: UInt8 = 0x20
    fileprivate static let dash: UInt8 = 0x2D
    fileprivate static let colon: UInt8 = 0x3A

    /// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
    /// "`" / "|" / "~" / DIGIT / ALPHA. Nothing outside US-ASCII.
    fileprivate var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
