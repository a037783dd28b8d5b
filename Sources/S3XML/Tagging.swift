/// A Put(Object|Bucket)Tagging document:
/// `<Tagging><TagSet><Tag><Key>…</Key><Value>…</Value></Tag>…</TagSet></Tagging>`.
extension S3RequestXML {
    /// The tags as sent, in document order (S3's limits are the caller's: they differ for objects and
    /// buckets). `TagSet` is required, and each `Tag` holds exactly one `Key` and one `Value` (either
    /// missing or repeated: MalformedXML). Keys and values are taken exactly as sent, spaces included.
    public static func tagging(_ body: [UInt8]) throws(S3XMLError) -> [(key: String, value: String)] {
        let root = try SafeXMLParser.parse(body, root: "Tagging")
        guard let set = try root.child("TagSet") else { throw .malformed("<Tagging> without <TagSet>") }
        var tags: [(key: String, value: String)] = []
        for tag in set.children(named: "Tag") {
            guard let key = try tag.child("Key") else { throw .malformed("<Tag> without <Key>") }
            guard let value = try tag.child("Value") else { throw .malformed("<Tag> without <Value>") }
            let keyText = try key.exactText(), valueText = try value.exactText()
            tags.append((key: keyText, value: valueText))
        }
        return tags
    }

    /// The document GetObjectTagging and GetBucketTagging answer, in S3's namespace.
    public static func taggingDocument(_ tags: [(key: String, value: String)]) -> String {
        var w = XMLWriter(root: "Tagging")
        w.open("TagSet")
        for tag in tags {
            w.group("Tag") { $0.element("Key", tag.key); $0.element("Value", tag.value) }
        }
        w.close()
        return w.finish()
    }
}
