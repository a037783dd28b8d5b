import NIOCore
import StorageCore

/// Segments as the rows of a `COPY segments(version, byte_offset, size, blob, part_number, checksum)
/// FROM STDIN` in PostgreSQL's text format: one line per segment, columns separated by a tab, `\N` for
/// NULL, and a backslash, tab, newline or carriage return inside a value escaped with a backslash (so no
/// value can end a row, split a column or be read as the end-of-data marker).
struct SegmentCopyRows {
    let version: Int64
    private(set) var buffer = ByteBuffer()

    init(version: Int64) {
        self.version = version
    }

    mutating func append(_ segment: Segment) {
        buffer.writeString(String(version))
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(String(segment.offset))
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(String(segment.size))
        buffer.writeInteger(UInt8(ascii: "\t"))
        writeText(segment.blob)
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let partNumber = segment.partNumber { buffer.writeString(String(partNumber)) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let checksum = segment.checksum { writeText(checksum) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// The rows so far; the buffer starts again empty.
    mutating func take() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }

    private mutating func writeText(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
