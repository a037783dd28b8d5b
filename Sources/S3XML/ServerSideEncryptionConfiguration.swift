/// A PutBucketEncryption document: `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>
/// <SSEAlgorithm>…</SSEAlgorithm><KMSMasterKeyID>…</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>
/// <BucketKeyEnabled>…</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`.
public struct ServerSideEncryptionConfiguration: Sendable, Equatable {
    /// "AES256", "aws:kms" or "aws:kms:dsse".
    public var sseAlgorithm: String
    public var kmsMasterKeyID: String?
    public var bucketKeyEnabled: Bool?
    public init(sseAlgorithm: String, kmsMasterKeyID: String? = nil, bucketKeyEnabled: Bool? = nil) {
        self.sseAlgorithm = sseAlgorithm; self.kmsMasterKeyID = kmsMasterKeyID; self.bucketKeyEnabled = bucketKeyEnabled
    }

    public static let algorithms: Set<String> = ["AES256", "aws:kms", "aws:kms:dsse"]
}

extension S3RequestXML {
    /// Parses and validates the document: exactly one Rule with ApplyServerSideEncryptionByDefault naming
    /// one of S3's algorithms (else MalformedXML, as S3 answers); a KMSMasterKeyID only with aws:kms
    /// (InvalidArgument); BucketKeyEnabled only true or false.
    public static func serverSideEncryptionConfiguration(_ body: [UInt8]) throws(S3XMLError) -> ServerSideEncryptionConfiguration {
        let root = try SafeXMLParser.parse(body, root: "ServerSideEncryptionConfiguration")
        let rules = root.children(named: "Rule")
        guard rules.count == 1 else { throw .malformed("exactly one <Rule> is allowed, \(rules.count) given") }
        guard let apply = try rules[0].child("ApplyServerSideEncryptionByDefault") else {
            throw .malformed("<Rule> without <ApplyServerSideEncryptionByDefault>")
        }
        guard let algorithm = try apply.child("SSEAlgorithm")?.text() else { throw .malformed("<SSEAlgorithm> missing") }
        guard ServerSideEncryptionConfiguration.algorithms.contains(algorithm) else { throw .malformed("unknown SSEAlgorithm \(algorithm)") }
        let kmsKey = try apply.child("KMSMasterKeyID")?.text()
        if kmsKey != nil && !algorithm.hasPrefix("aws:kms") {
            throw .invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
        }
        var bucketKey: Bool?
        if let raw = try rules[0].child("BucketKeyEnabled")?.text() {
            guard raw == "true" || raw == "false" else { throw .malformed("BucketKeyEnabled must be true or false") }
            bucketKey = raw == "true"
        }
        return ServerSideEncryptionConfiguration(sseAlgorithm: algorithm, kmsMasterKeyID: kmsKey, bucketKeyEnabled: bucketKey)
    }

    /// The document GetBucketEncryption answers (and the bucket stores): S3's namespace, one element order.
    public static func serverSideEncryptionConfigurationDocument(_ c: ServerSideEncryptionConfiguration) -> String {
        var w = XMLWriter(root: "ServerSideEncryptionConfiguration")
        w.open("Rule")
        w.open("ApplyServerSideEncryptionByDefault")
        w.element("SSEAlgorithm", c.sseAlgorithm)
        if let key = c.kmsMasterKeyID { w.element("KMSMasterKeyID", key) }
        w.close()
        w.element("BucketKeyEnabled", c.bucketKeyEnabled ?? false)
        w.close()
        return w.finish()
    }
}
