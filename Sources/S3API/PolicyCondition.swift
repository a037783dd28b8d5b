import Foundation
import StorageCore

/// One condition of a policy statement: an operator, a key and the values it is compared with (any one
/// matching satisfies it; the negated operators hold when none matches). Operators: StringEquals,
/// StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike,
/// NumericEquals, NumericNotEquals, NumericLessThan(Equals), NumericGreaterThan(Equals), DateEquals,
/// DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals), Bool, IpAddress, NotIpAddress, each also
/// with `IfExists`. Keys: `knownKeys` and `s3:ExistingObjectTag/<tag>`. Anything else: MalformedPolicy.
struct PolicyCondition: Sendable, Equatable {
    enum Kind: String, Sendable { case string, stringIgnoreCase, like, numeric, date, bool, ip }
    enum Comparison: Sendable { case equal, less, lessOrEqual, greater, greaterOrEqual }

    let operatorName: String
    let kind: Kind
    let comparison: Comparison
    let negated: Bool
    let ifExists: Bool
    /// As written; compared ignoring case (IAM's keys are case-insensitive, tag keys excepted).
    let key: String
    let values: [String]

    static let knownKeys: Set<String> = [
        "aws:securetransport", "aws:sourceip", "aws:currenttime", "aws:epochtime", "aws:username",
        "s3:prefix", "s3:delimiter", "s3:max-keys", "s3:x-amz-acl", "s3:versionid",
    ]
    static let existingObjectTag = "s3:existingobjecttag/"

    init(operatorName: String, key: String, values: [String]) throws {
        var name = operatorName
        ifExists = name.hasSuffix("IfExists")
        if ifExists { name = String(name.dropLast("IfExists".count)) }
        let table: [String: (Kind, Comparison, Bool)] = [
            "StringEquals": (.string, .equal, false), "StringNotEquals": (.string, .equal, true),
            "StringEqualsIgnoreCase": (.stringIgnoreCase, .equal, false), "StringNotEqualsIgnoreCase": (.stringIgnoreCase, .equal, true),
            "StringLike": (.like, .equal, false), "StringNotLike": (.like, .equal, true),
            "NumericEquals": (.numeric, .equal, false), "NumericNotEquals": (.numeric, .equal, true),
            "NumericLessThan": (.numeric, .less, false), "NumericLessThanEquals": (.numeric, .lessOrEqual, false),
            "NumericGreaterThan": (.numeric, .greater, false), "NumericGreaterThanEquals": (.numeric, .greaterOrEqual, false),
            "DateEquals": (.date, .equal, false), "DateNotEquals": (.date, .equal, true),
            "DateLessThan": (.date, .less, false), "DateLessThanEquals": (.date, .lessOrEqual, false),
            "DateGreaterThan": (.date, .greater, false), "DateGreaterThanEquals": (.date, .greaterOrEqual, false),
            "Bool": (.bool, .equal, false), "IpAddress": (.ip, .equal, false), "NotIpAddress": (.ip, .equal, true),
        ]
        guard let (kind, comparison, negated) = table[name] else {
            throw PolicyDocument.malformed("Invalid Condition type : \(operatorName)")
        }
        let lower = key.lowercased()
        guard Self.knownKeys.contains(lower) || (lower.hasPrefix(Self.existingObjectTag) && lower.count > Self.existingObjectTag.count) else {
            throw PolicyDocument.malformed("Policy has an invalid condition key: \(key)")
        }
        guard !values.isEmpty else { throw PolicyDocument.malformed("Condition \(operatorName) \(key) has no values") }
        // Values the operator could never compare are refused now, not found false later.
        for v in values {
            let ok: Bool
            switch kind {
            case .numeric: ok = Double(v) != nil
            case .date: ok = Self.date(v) != nil
            case .bool: ok = ["true", "false"].contains(v.lowercased())
            case .ip: ok = CIDR(v) != nil
            default: ok = true
            }
            guard ok else { throw PolicyDocument.malformed("Invalid value \(v) for \(operatorName)") }
        }
        (self.operatorName, self.kind, self.comparison, self.negated, self.key, self.values) = (operatorName, kind, comparison, negated, key, values)
    }

    static func == (a: PolicyCondition, b: PolicyCondition) -> Bool {
        a.operatorName == b.operatorName && a.key == b.key && a.values == b.values
    }

    /// The key's value in the request (tag keys keep their case).
    func requestValues(_ r: PolicyRequest) -> [String]? {
        let lower = key.lowercased()
        if lower.hasPrefix(Self.existingObjectTag) {
            return r.values["s3:existingobjecttag/" + String(key.dropFirst(Self.existingObjectTag.count))]
        }
        return r.values[lower]
    }

    func holds(in r: PolicyRequest) -> Bool {
        guard let given = requestValues(r), !given.isEmpty else {
            // An absent key: IfExists holds; a negated operator holds (nothing equals); others do not.
            return ifExists || negated
        }
        let anyMatch = given.contains { g in values.contains { matches(g, $0) } }
        return negated ? !anyMatch : anyMatch
    }

    private func matches(_ given: String, _ wanted: String) -> Bool {
        switch kind {
        case .string: return Array(given.utf8) == Array(wanted.utf8)
        case .stringIgnoreCase: return Array(given.lowercased().utf8) == Array(wanted.lowercased().utf8)
        case .like: return Wildcard.matches(wanted, Array(given.utf8), caseInsensitive: false)
        case .bool: return given.lowercased() == wanted.lowercased()
        case .ip:
            guard let net = CIDR(wanted) else { return false }
            return net.contains(given)
        case .numeric:
            guard let a = Double(given), let b = Double(wanted) else { return false }
            return compare(a, b)
        case .date:
            guard let a = Self.date(given), let b = Self.date(wanted) else { return false }
            return compare(a.timeIntervalSince1970, b.timeIntervalSince1970)
        }
    }

    private func compare(_ a: Double, _ b: Double) -> Bool {
        switch comparison {
        case .equal: return a == b
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }

    /// ISO 8601 (with or without fractional seconds), or seconds since the epoch.
    static func date(_ text: String) -> Date? {
        if let n = Double(text) { return Date(timeIntervalSince1970: n) }
        let f = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate]] {
            f.formatOptions = options
            if let d = f.date(from: text) { return d }
        }
        return nil
    }
}
