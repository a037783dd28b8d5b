// The frontend target's bucket policies (Fuzz/FrontEndFuzz.swift picks them, selector 10): PutBucketPolicy's
// JSON body, compiled with the files that read and evaluate it (see Fuzz/fuzz.sh): Sources/S3API's PolicyDocument, PolicyCondition, PolicyRequest,
// Wildcard and CIDR, with the s3request target's files for what they use.
//
// Input: the policy document, for bucket "b". Each one that parses is evaluated on fixed requests (anonymous
// and a user; GetObject, PutObject, ListBucket; with and without a source address and a prefix).
import Foundation

let policyCallers: [Caller] = [.anonymous, .user(User(name: "alice")), .user(User(name: "tessera"))]
let policyRequests: [(action: String, resource: String, values: [String: [String]])] = [
    ("s3:GetObject", PolicyRequest.objectARN("b", "photos/a.jpg"), ["aws:securetransport": ["false"], "aws:sourceip": ["192.0.2.7"]]),
    ("s3:PutObject", PolicyRequest.objectARN("b", "x"), ["aws:securetransport": ["true"], "s3:x-amz-acl": ["public-read"],
                                                         "s3:existingobjecttag/Color": ["blue"]]),
    ("s3:ListBucket", PolicyRequest.bucketARN("b"), ["s3:prefix": ["home/"], "s3:max-keys": ["10"], "aws:sourceip": ["2001:db8::1"],
                                                    "aws:currenttime": ["2026-12-07T04:00:00.000Z"], "aws:epochtime": ["1796616000"]]),
]

func fuzzPolicy(_ bytes: [UInt8]) {
    let policy: PolicyDocument
    do {
        policy = try PolicyDocument.parse(bytes, bucket: "b")
    } catch let e as CoreError {
        invariant(["MalformedPolicy", "PolicyTooLarge"].contains(e.code) && !e.message.isEmpty, "unexpected error \(e.code)")
        return
    } catch {
        invariant(false, "\(type(of: error)) thrown")
        return
    }
    invariant(!policy.statements.isEmpty, "a policy without statements")
    // Parsing again may list the conditions and principals in another order (JSON objects are unordered), never
    // to another effect: the second reading evaluates every request the same.
    guard let again = try? PolicyDocument.parse(bytes, bucket: "b"), again.statements.count == policy.statements.count else {
        invariant(false, "parse is not deterministic"); return
    }
    let hasDeny = policy.statements.contains { $0.effect == .deny }
    let hasAllow = policy.statements.contains { $0.effect == .allow }
    _ = policy.isPublic
    for caller in policyCallers {
        for r in policyRequests {
            let request = PolicyRequest(caller: caller, action: r.action, resource: r.resource, values: r.values)
            let verdict = policy.evaluate(request)
            let restricted = policy.evaluate(request, ignoringAllowsToAnyone: true)
            invariant(again.evaluate(request) == verdict && again.evaluate(request, ignoringAllowsToAnyone: true) == restricted,
                      "a second parse evaluates differently")
            invariant(verdict != .deny || hasDeny, "denied without a Deny statement")
            invariant(verdict != .allow || hasAllow, "allowed without an Allow statement")
            // RestrictPublicBuckets only takes allows away: the same denials, never a new allow.
            invariant((verdict == .deny) == (restricted == .deny), "RestrictPublicBuckets changed a denial")
            invariant(restricted != .allow || verdict == .allow, "RestrictPublicBuckets allowed more")
        }
    }
}
