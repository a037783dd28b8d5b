import Foundation
import GatewayHTTP
import StorageCore

/// What a bucket policy is evaluated against: who asks, the `s3:` action, the resource's ARN, and the
/// values of the condition keys Tessera knows (`PolicyCondition.knownKeys`; a key absent here is absent
/// from the request, as IAM treats it).
struct PolicyRequest: Sendable {
    var caller: Caller
    var action: String
    var resource: String
    /// Condition key (lowercased) → its values for this request.
    var values: [String: [String]]

    static func bucketARN(_ bucket: String) -> String { "arn:aws:s3:::" + bucket }
    static func objectARN(_ bucket: String, _ key: String) -> String { "arn:aws:s3:::" + bucket + "/" + key }

    /// The request's condition values: transport, source address and time, and, where the request has
    /// them, the listing parameters and the canned ACL it sets.
    init(caller: Caller, action: String, resource: String, s3: S3Request, secureTransport: Bool, sourceIP: String?, now: Date = Date()) {
        (self.caller, self.action, self.resource) = (caller, action, resource)
        var v: [String: [String]] = [
            "aws:securetransport": [secureTransport ? "true" : "false"],
            "aws:currenttime": [S3Time.iso8601(now)],
            "aws:epochtime": [String(Int64(now.timeIntervalSince1970))],
        ]
        if let sourceIP { v["aws:sourceip"] = [sourceIP] }
        if let u = caller.user { v["aws:username"] = [u.name] }
        for (param, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
            if let value = s3.query[param] { v[key] = [value] }
        }
        if let acl = s3.header("x-amz-acl") { v["s3:x-amz-acl"] = [acl] }
        if let id = s3.query["versionId"] { v["s3:versionid"] = [id] }
        values = v
    }

    /// s3:ExistingObjectTag/<key> for each of the object's tags (tag keys keep their case).
    mutating func addExistingObjectTags(_ tags: [ObjectTag]) {
        for tag in tags { values["s3:existingobjecttag/" + tag.key] = [tag.value] }
    }

    init(caller: Caller, action: String, resource: String, values: [String: [String]]) {
        (self.caller, self.action, self.resource, self.values) = (caller, action, resource, values)
    }
}
