import Foundation
import WireFormats

/// An S3 POST policy: the base64 JSON document a browser upload carries in its `policy` field,
/// signed by the bucket owner, that says until when and with which form fields an upload is allowed.
///
/// ```json
/// { "expiration": "2007-12-01T12:00:00.000Z",
///   "conditions": [ {"bucket": "johnsmith"}, ["starts-with", "$key", "user/eric/"],
///                   ["content-length-range", 0, 1048576] ] }
/// ```
///
/// Pure: decoding and evaluation only, no I/O, so it is unit-tested on its own.
public struct PostPolicyDocument: Sendable, Equatable {
    public enum Condition: Sendable, Equatable, CustomStringConvertible {
        /// `{"field": "value"}` or `["eq", "$field", "value"]`; field lowercased, without '$'.
        case equals(field: String, value: String)
        /// `["starts-with", "$field", "prefix"]`; an empty prefix allows any value.
        case startsWith(field: String, prefix: String)
        /// `["content-length-range", min, max]`: the file's size in bytes, both ends inclusive.
        case contentLengthRange(min: Int64, max: Int64)

        /// S3 quotes the failing condition in its error message, in the array form.
        public var description: String {
            switch self {
            case .equals(let f, let v): return "[\"eq\", \"$\(f)\", \(Self.quote(v))]"
            case .startsWith(let f, let p): return "[\"starts-with\", \"$\(f)\", \(Self.quote(p))]"
            case .contentLengthRange(let lo, let hi): return "[\"content-length-range\", \(lo), \(hi)]"
            }
        }

        static func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }

        /// The form field the condition constrains (nil for content-length-range).
        public var field: String? {
            switch self {
            case .equals(let f, _), .startsWith(let f, _): return f
            case .contentLengthRange: return nil
            }
        }
    }

    /// Seconds since 1970 (fractions kept).
    public var expiration: Double
    public var conditions: [Condition]

    /// Form fields that need no condition: the credentials, the policy itself, the file, x-ignore-*.
    public static let exemptFields: Set<String> = ["policy", "x-amz-signature", "file", "awsaccesskeyid", "signature"]

    public init(expiration: Double, conditions: [Condition]) {
        self.expiration = expiration
        self.conditions = conditions
    }

    /// Decodes the `policy` form field (base64 of UTF-8 JSON).
    public init(base64 text: String) throws(PostPolicyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed, options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw .invalidPolicy("Invalid Policy: Invalid Base64 Encoding.")
        }
        try self.init(json: data)
    }

    public init(json data: Data) throws(PostPolicyError) {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .invalidPolicy("Invalid Policy: Invalid JSON.")
        }
        guard case .object(let top) = root else { throw .invalidPolicy("Invalid Policy: Invalid JSON.") }
        guard let exp = top["expiration"] else { throw .invalidPolicy("Invalid Policy: Policy missing expiration.") }
        guard case .string(let expText) = exp, let seconds = ISO8601Time.parse(expText) else {
            throw .invalidPolicy("Invalid Policy: Invalid 'expiration' value: '\(exp.text)'")
        }
        guard let list = top["conditions"] else { throw .invalidPolicy("Invalid Policy: Policy missing conditions.") }
        guard case .array(let items) = list else { throw .invalidPolicy("Invalid Policy: Invalid 'conditions' value: must be a List.") }
        var conditions: [Condition] = []
        for item in items {
            switch item {
            case .object(let fields):
                guard fields.count == 1, let (name, value) = fields.first else {
                    throw .invalidPolicy("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
                }
                guard case .string(let v) = value else {
                    throw .invalidPolicy("Invalid Policy: Invalid Simple-Condition: value must be a string.")
                }
                conditions.append(.equals(field: Self.fieldName(name), value: v))
            case .array(let parts):
                guard case .string(let op)? = parts.first else {
                    throw .invalidPolicy("Invalid Policy: Invalid Condition: \(item.text)")
                }
                switch op.lowercased() {
                case "eq", "starts-with":
                    guard parts.count == 3, case .string(let f) = parts[1], case .string(let v) = parts[2] else {
                        throw .invalidPolicy("Invalid Policy: Invalid Condition: \(item.text)")
                    }
                    guard f.hasPrefix("$") else {
                        throw .invalidPolicy("Invalid Policy: Invalid Condition: field names must start with '$': \(item.text)")
                    }
                    let field = Self.fieldName(f)
                    conditions.append(op.lowercased() == "eq" ? .equals(field: field, value: v) : .startsWith(field: field, prefix: v))
                case "content-length-range":
                    guard parts.count == 3, let lo = parts[1].integer, let hi = parts[2].integer, lo >= 0, hi >= lo else {
                        throw .invalidPolicy("Invalid Policy: Invalid content-length-range: \(item.text)")
                    }
                    conditions.append(.contentLengthRange(min: lo, max: hi))
                default:
                    throw .invalidPolicy("Invalid Policy: Invalid Condition: unknown operation \(Condition.quote(op)).")
                }
            default:
                throw .invalidPolicy("Invalid Policy: Invalid Condition: \(item.text)")
            }
        }
        self.init(expiration: seconds, conditions: conditions)
    }

    /// "$Content-Type" -> "content-type".
    static func fieldName(_ raw: String) -> String {
        (raw.hasPrefix("$") ? String(raw.dropFirst()) : raw).lowercased()
    }

    // MARK: evaluation

    /// Everything but the file's size: expiration, each field condition (with `bucket` taken from the
    /// request, not the form), and that every form field but the exempt ones is named by a condition.
    /// `form` must already have `${filename}` substituted.
    public func check(_ form: PostForm, bucket: String, now: Double) throws(PostPolicyError) {
        if now > expiration { throw .denied("Invalid according to Policy: Policy expired.") }
        for condition in conditions {
            guard let field = condition.field else { continue }
            let actual = field == "bucket" ? bucket : (form.value(field) ?? "")
            let ok: Bool
            switch condition {
            case .equals(_, let v): ok = actual == v
            case .startsWith(_, let p):
                // A Content-Type with commas is a list; each entry must match.
                if field == "content-type" && actual.contains(",") {
                    ok = actual.split(separator: ",").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix(p) }
                } else {
                    ok = actual.hasPrefix(p)
                }
            case .contentLengthRange: ok = true
            }
            if !ok { throw .denied("Invalid according to Policy: Policy Condition failed: \(condition)") }
        }
        let covered = Set(conditions.compactMap(\.field))
        let extra = form.names.filter { name in
            let n = name.lowercased()
            return !Self.exemptFields.contains(n) && !n.hasPrefix("x-ignore-") && !covered.contains(n)
        }
        if !extra.isEmpty {
            throw .denied("Invalid according to Policy: Extra input fields: \(extra.joined(separator: ", "))")
        }
    }

    /// The allowed file sizes: the intersection of every content-length-range (nil when there is none).
    /// With ranges that do not overlap, `min > max` and every size fails.
    public var sizeLimits: (min: Int64, max: Int64)? {
        var lo: Int64?, hi: Int64?
        for case .contentLengthRange(let a, let b) in conditions {
            lo = Swift.max(lo ?? a, a)
            hi = Swift.min(hi ?? b, b)
        }
        guard let lo, let hi else { return nil }
        return (lo, hi)
    }

    /// While the file streams in: fails as soon as it is bigger than allowed, before it is stored.
    public func checkPartialSize(_ received: Int64) throws(PostPolicyError) {
        guard let limits = sizeLimits else { return }
        if received > limits.max { throw .entityTooLarge(received, max: limits.max) }
    }

    /// At the end of the file.
    public func checkFinalSize(_ size: Int64) throws(PostPolicyError) {
        guard let limits = sizeLimits else { return }
        if size > limits.max { throw .entityTooLarge(size, max: limits.max) }
        if size < limits.min { throw .entityTooSmall(size, min: limits.min) }
    }
}

/// A PostObject failure, named by its S3 error code (the server maps codes to HTTP statuses).
public struct PostPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Detail: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public var code: String
    public var message: String
    public var details: [Detail]

    public init(code: String, message: String, details: [Detail] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }

    /// 400: the policy document is not a valid policy.
    public static func invalidPolicy(_ message: String) -> PostPolicyError {
        PostPolicyError(code: "InvalidPolicyDocument", message: message)
    }

    /// 403: the form does not satisfy the policy.
    public static func denied(_ message: String) -> PostPolicyError {
        PostPolicyError(code: "AccessDenied", message: message)
    }

    public static func entityTooLarge(_ size: Int64, max: Int64) -> PostPolicyError {
        PostPolicyError(code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size",
                        details: [Detail("ProposedSize", String(size)), Detail("MaxSizeAllowed", String(max))])
    }

    public static func entityTooSmall(_ size: Int64, min: Int64) -> PostPolicyError {
        PostPolicyError(code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed size",
                        details: [Detail("ProposedSize", String(size)), Detail("MinSizeAllowed", String(min))])
    }

    public static let preDataTooLarge = PostPolicyError(
        code: "MaxPostPreDataLengthExceeded",
        message: "Your POST request fields preceding the upload file were too large.")

    public static let malformed = PostPolicyError(
        code: "MalformedPOSTRequest",
        message: "The body of your POST request is not well-formed multipart/form-data.")

    /// 400 InvalidArgument for a required field that is missing (or came after `file`).
    public static func missingField(_ name: String) -> PostPolicyError {
        PostPolicyError(code: "InvalidArgument",
                        message: "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
                        details: [Detail("ArgumentName", name), Detail("ArgumentValue", "")])
    }
}

/// Just enough JSON to read a policy, keeping numbers exact.
enum JSONValue: Decodable, Equatable {
    case string(String), integer(Int64), number(Double), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode(Int64.self) { self = .integer(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// A whole number, from a JSON integer, an integral float or a string of digits.
    var integer: Int64? {
        switch self {
        case .integer(let v): return v
        case .number(let d): return d.rounded() == d && abs(d) < 9e18 ? Int64(d) : nil
        case .string(let s): return Int64(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    var text: String {
        switch self {
        case .string(let s): return PostPolicyDocument.Condition.quote(s)
        case .integer(let v): return String(v)
        case .number(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.sorted { $0.key < $1.key }.map { PostPolicyDocument.Condition.quote($0.key) + ": " + $0.value.text }.joined(separator: ", ") + "}"
        }
    }
}
