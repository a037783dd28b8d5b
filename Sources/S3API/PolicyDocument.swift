import Foundation
import StorageCore

/// A bucket policy: the JSON policy language, as far as Tessera evaluates it. Version, Id, Statement
/// (one object or an array) with Sid, Effect, Principal / NotPrincipal, Action / NotAction, Resource /
/// NotResource and Condition. Anything it would not evaluate is refused when the policy is put
/// (MalformedPolicy), never silently ignored.
///
/// Principals: `"*"`, `{"AWS": "*"}`, and users named by canonical ID (`{"CanonicalUser": "<64 hex>"}`, or in
/// `"AWS"`) or by the ARN form `arn:aws:iam::tessera:user/NAME`. Actions: `s3:` names with `*` and `?`
/// wildcards (case-insensitive). Resources: `arn:aws:s3:::bucket` and `arn:aws:s3:::bucket/key-pattern`
/// of this bucket (wildcards, case-sensitive, bytes).
struct PolicyDocument: Sendable, Equatable {
    enum Effect: String, Sendable { case allow = "Allow", deny = "Deny" }

    /// Whom a Principal names.
    enum Principal: Sendable, Equatable {
        case anyone
        case user(canonicalID: String)

        func includes(_ caller: Caller) -> Bool {
            switch (self, caller) {
            case (_, .ticket): return false
            case (.anyone, _): return true
            case (.user(let id), .user(let u)): return Array(id.utf8) == Array(u.canonicalID.utf8)
            default: return false
            }
        }
    }

    struct Statement: Sendable, Equatable {
        var sid: String?
        var effect: Effect
        /// One of principals / notPrincipals is set.
        var principals: [Principal]?
        var notPrincipals: [Principal]?
        var actions: [String]?
        var notActions: [String]?
        var resources: [String]?
        var notResources: [String]?
        var conditions: [PolicyCondition]
    }

    var statements: [Statement]

    static let maxSize = 20 * 1024
    static let userARNPrefix = "arn:aws:iam::tessera:user/"

    static func malformed(_ message: String) -> CoreError { CoreError("MalformedPolicy", message) }

    /// Parses and checks a policy for `bucket`; MalformedPolicy with S3's kind of message otherwise.
    static func parse(_ bytes: [UInt8], bucket: String) throws -> PolicyDocument {
        guard bytes.count <= maxSize else { throw CoreError("PolicyTooLarge", "Policy exceeds the maximum allowed document size.") }
        guard bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{"),
              let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw malformed("Policies must be valid JSON and the first byte must be '{'")
        }
        for name in root.keys where !["Version", "Id", "Statement"].contains(name) { throw malformed("Unknown field \(name)") }
        if let version = root["Version"] {
            guard let v = version as? String, v == "2012-10-17" || v == "2008-10-17" else { throw malformed("Invalid policy version") }
        }
        let raw: [Any]
        switch root["Statement"] {
        case let list as [Any]: raw = list
        case let one as [String: Any]: raw = [one]
        default: throw malformed("Missing required field Statement")
        }
        guard !raw.isEmpty else { throw malformed("Missing required field Statement") }
        return PolicyDocument(statements: try raw.map { try statement($0, bucket: bucket) })
    }

    private static func strings(_ value: Any?, _ field: String) throws -> [String]? {
        switch value {
        case nil: return nil
        case let s as String: return [s]
        case let list as [Any]:
            guard !list.isEmpty else { throw malformed("\(field) must not be empty") }
            return try list.map { guard let s = $0 as? String else { throw malformed("\(field) must hold strings") }; return s }
        default: throw malformed("\(field) must be a string or a list of strings")
        }
    }

    private static func statement(_ any: Any, bucket: String) throws -> Statement {
        guard let s = any as? [String: Any] else { throw malformed("A Statement must be an object") }
        let known: Set<String> = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]
        for name in s.keys where !known.contains(name) { throw malformed("Unknown field \(name)") }
        guard let effectText = s["Effect"] as? String, let effect = Effect(rawValue: effectText) else {
            throw malformed("Invalid effect: \(s["Effect"].map { "\($0)" } ?? "missing")")
        }
        let principals = try s["Principal"].map(Self.parsePrincipals)
        let notPrincipals = try s["NotPrincipal"].map(Self.parsePrincipals)
        guard (principals == nil) != (notPrincipals == nil) else { throw malformed("Statement must name exactly one of Principal and NotPrincipal") }
        let actions = try strings(s["Action"], "Action"), notActions = try strings(s["NotAction"], "NotAction")
        guard (actions == nil) != (notActions == nil) else { throw malformed("Statement must name exactly one of Action and NotAction") }
        for a in (actions ?? []) + (notActions ?? []) where !(a == "*" || a.lowercased().hasPrefix("s3:")) {
            throw malformed("Policy has invalid action")
        }
        let resources = try strings(s["Resource"], "Resource"), notResources = try strings(s["NotResource"], "NotResource")
        guard (resources == nil) != (notResources == nil) else { throw malformed("Statement must name exactly one of Resource and NotResource") }
        for r in (resources ?? []) + (notResources ?? []) {
            // A resource of this bucket: the bucket itself or objects in it (a pattern may widen the bucket name too).
            let arn = "arn:aws:s3:::"
            guard r.hasPrefix(arn) else { throw malformed("Policy has invalid resource") }
            let rest = String(r.dropFirst(arn.count))
            let bucketPart = String(rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])
            guard Wildcard.matches(bucketPart, Array(bucket.utf8), caseInsensitive: false) else {
                throw malformed("Action does not apply to any resource(s) in statement")
            }
        }
        var conditions: [PolicyCondition] = []
        if let c = s["Condition"] {
            guard let blocks = c as? [String: Any] else { throw malformed("Condition must be an object") }
            for (op, keys) in blocks {
                guard let pairs = keys as? [String: Any] else { throw malformed("Condition \(op) must be an object") }
                for (key, values) in pairs {
                    let list: [String]
                    switch values {
                    case let n as NSNumber:
                        // JSON true/false and numbers both arrive as NSNumber: a Bool's is of type "c".
                        list = [String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.stringValue]
                    default:
                        list = try (strings(values, "Condition \(op) \(key)") ?? []).map { $0 }
                        if let many = values as? [Any], many.contains(where: { $0 is NSNumber }) {
                            throw malformed("Condition values must be strings")
                        }
                    }
                    conditions.append(try PolicyCondition(operatorName: op, key: key, values: list))
                }
            }
        }
        return Statement(sid: s["Sid"] as? String, effect: effect, principals: principals, notPrincipals: notPrincipals,
                         actions: actions, notActions: notActions, resources: resources, notResources: notResources, conditions: conditions)
    }

    private static func parsePrincipals(_ any: Any) throws -> [Principal] {
        if let s = any as? String {
            guard s == "*" else { throw malformed("Invalid principal in policy") }
            return [.anyone]
        }
        guard let map = any as? [String: Any], !map.isEmpty else { throw malformed("Invalid principal in policy") }
        var out: [Principal] = []
        for (kind, value) in map {
            guard let names = try strings(value, "Principal") else { throw malformed("Invalid principal in policy") }
            for name in names {
                switch kind {
                case "AWS" where name == "*": out.append(.anyone)
                case "AWS" where name.hasPrefix(userARNPrefix):
                    let user = String(name.dropFirst(userARNPrefix.count))
                    guard User.isValidName(user) else { throw malformed("Invalid principal in policy") }
                    out.append(.user(canonicalID: User(name: user).canonicalID))
                case "AWS", "CanonicalUser":
                    guard name.utf8.count == 64, name.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                        throw malformed("Invalid principal in policy")
                    }
                    out.append(.user(canonicalID: name))
                default: throw malformed("Invalid principal in policy")
                }
            }
        }
        return out
    }

    /// Whether a condition compares s3:ExistingObjectTag/<key> (the object's tags are then read first).
    var usesExistingObjectTags: Bool {
        statements.contains { $0.conditions.contains { $0.key.lowercased().hasPrefix(PolicyCondition.existingObjectTag) } }
    }

    /// What the policy says about one request: an explicit Deny, an Allow, or nothing.
    enum Verdict: Sendable, Equatable { case deny, allow, silent }

    /// - Parameter ignoringAllowsToAnyone: RestrictPublicBuckets: an Allow that names `*` allows nothing.
    func evaluate(_ request: PolicyRequest, ignoringAllowsToAnyone: Bool = false) -> Verdict {
        var allowed = false
        for s in statements where s.applies(to: request) {
            if s.effect == .deny { return .deny }
            if ignoringAllowsToAnyone && (s.principals?.contains(.anyone) ?? true) { continue }
            allowed = true
        }
        return allowed ? .allow : .silent
    }

    /// Whether any Allow statement is open to anyone without conditions that narrow it by caller (S3's
    /// "public" for GetBucketPolicyStatus: principal `*` without a condition on aws:SourceIp).
    var isPublic: Bool {
        statements.contains { s in
            s.effect == .allow && (s.principals?.contains(.anyone) ?? false)
                && !s.conditions.contains { $0.key.lowercased() == "aws:sourceip" && !$0.negated }
        }
    }
}

extension PolicyDocument.Statement {
    func applies(to r: PolicyRequest) -> Bool {
        if case .ticket = r.caller { return false }   // a ticket's holder is nobody a policy names, not even by NotPrincipal
        if let p = principals, !p.contains(where: { $0.includes(r.caller) }) { return false }
        if let p = notPrincipals, p.contains(where: { $0.includes(r.caller) }) { return false }
        let actionBytes = Array(r.action.utf8)
        if let a = actions, !a.contains(where: { Wildcard.matches($0, actionBytes, caseInsensitive: true) }) { return false }
        if let a = notActions, a.contains(where: { Wildcard.matches($0, actionBytes, caseInsensitive: true) }) { return false }
        let resourceBytes = Array(r.resource.utf8)
        if let x = resources, !x.contains(where: { Wildcard.matches($0, resourceBytes, caseInsensitive: false) }) { return false }
        if let x = notResources, x.contains(where: { Wildcard.matches($0, resourceBytes, caseInsensitive: false) }) { return false }
        return conditions.allSatisfy { $0.holds(in: r) }
    }
}
