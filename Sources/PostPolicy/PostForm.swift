import Foundation
import WireFormats

/// The text fields of a browser upload (S3 PostObject), in the order they arrived, up to the `file` part.
///
/// Field names are matched case-insensitively, as S3 does; the first occurrence of a name wins.
/// Sizes are capped while the form is read, so a client cannot make the server buffer more than
/// `maxFieldBytes` per field or `maxTotalBytes` for all of them.
public struct PostForm: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        /// As sent.
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    /// Largest accepted value of one field (the policy is the largest field a client normally sends).
    public static let maxFieldBytes = 20 * 1024
    /// Largest accepted total of names and values of all fields before `file`.
    public static let maxTotalBytes = 1 << 20

    public private(set) var fields: [Field] = []
    public private(set) var totalBytes = 0
    private var index: [String: Int] = [:]

    public init() {}

    public init(_ pairs: [(String, String)]) throws(PostPolicyError) {
        for (n, v) in pairs { try append(name: n, value: v) }
    }

    /// Adds a field; throws MaxPostPreDataLengthExceeded past the caps.
    public mutating func append(name: String, value: String) throws(PostPolicyError) {
        if value.utf8.count > Self.maxFieldBytes { throw .preDataTooLarge }
        totalBytes += name.utf8.count + value.utf8.count
        if totalBytes > Self.maxTotalBytes { throw .preDataTooLarge }
        let lower = name.lowercased()
        if index[lower] == nil { index[lower] = fields.count }
        fields.append(Field(name: name, value: value))
    }

    /// Value of the first field with this name, any case.
    public func value(_ name: String) -> String? {
        index[name.lowercased()].map { fields[$0].value }
    }

    /// The distinct field names (as first sent), in order.
    public var names: [String] {
        var seen = Set<String>()
        return fields.compactMap { seen.insert($0.name.lowercased()).inserted ? $0.name : nil }
    }

    /// S3 replaces `${filename}` in every field with the uploaded file's name (its last path
    /// component) before the policy is checked.
    public mutating func substituteFilename(_ rawFileName: String?) {
        let name = Self.baseName(rawFileName ?? "")
        for i in fields.indices where fields[i].value.contains("${filename}") {
            fields[i].value = fields[i].value.replacingOccurrences(of: "${filename}", with: name)
        }
    }

    /// "C:\dir\file.txt" -> "file.txt", "a/b.txt" -> "b.txt".
    public static func baseName(_ path: String) -> String {
        if let i = path.lastIndex(where: { $0 == "/" || $0 == "\\" }) { return String(path[path.index(after: i)...]) }
        return path
    }
}

/// `Content-Disposition: form-data; name="key"; filename="a.txt"` of one multipart part.
public struct ContentDisposition: Sendable, Equatable {
    /// Lowercased, e.g. "form-data".
    public var type: String
    /// Parameter names lowercased; quoted values unquoted and unescaped.
    public var parameters: [String: String]

    public var name: String? { parameters["name"] }
    /// `filename*` (RFC 5987, UTF-8'') wins over `filename`.
    public var filename: String? { parameters["filename*"].flatMap(Self.decodeExtended) ?? parameters["filename"] }

    public init?(_ header: String) {
        var s = Substring(header)
        func skipSpaces() { while let c = s.first, c == " " || c == "\t" { s.removeFirst() } }
        skipSpaces()
        let typeEnd = s.firstIndex(of: ";") ?? s.endIndex
        type = s[..<typeEnd].trimmingCharacters(in: .whitespaces).lowercased()
        guard !type.isEmpty else { return nil }
        s = s[typeEnd...]
        parameters = [:]
        while !s.isEmpty {
            guard s.first == ";" else { return nil }
            s.removeFirst()
            skipSpaces()
            if s.isEmpty { break }
            guard let eq = s.firstIndex(of: "=") else { return nil }
            let name = s[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            s = s[s.index(after: eq)...]
            skipSpaces()
            var value = ""
            if s.first == "\"" {
                s.removeFirst()
                var closed = false
                while let c = s.first {
                    s.removeFirst()
                    if c == "\\", let next = s.first {
                        // Browsers escape only '"' and '\'; keep a backslash before anything else (Windows paths).
                        if next == "\"" || next == "\\" { value.append(next); s.removeFirst() } else { value.append(c) }
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return nil }
                skipSpaces()
            } else {
                let end = s.firstIndex(of: ";") ?? s.endIndex
                value = s[..<end].trimmingCharacters(in: .whitespaces)
                s = s[end...]
            }
            guard !name.isEmpty else { return nil }
            if parameters[name] == nil { parameters[name] = value }
        }
    }

    /// `UTF-8''na%C3%AFve.txt` -> "naïve.txt".
    static func decodeExtended(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].lowercased() == "utf-8" else { return nil }
        return PercentEncoding.decodeUTF8(parts[2].utf8, plusIsSpace: false)
    }
}
