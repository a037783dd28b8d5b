extension S3RequestXML {
    /// `<CreateBucketConfiguration><LocationConstraint/>?</CreateBucketConfiguration>`
    /// Returns nil when the constraint is absent or empty (both mean us-east-1).
    /// Other children (Location, Bucket for directory buckets, Tags) are ignored.
    public static func createBucketConfiguration(_ body: [UInt8]) throws(S3XMLError) -> String? {
        let root = try SafeXMLParser.parse(body, root: "CreateBucketConfiguration")
        guard let location = try root.child("LocationConstraint")?.text(), !location.isEmpty else { return nil }
        return location
    }
}
