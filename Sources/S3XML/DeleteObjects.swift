extension S3RequestXML {
    static let maxDeleteObjects = 1000

    /// `<Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>…</Delete>`
    /// Keys are returned exactly as sent (not trimmed: spaces are legal in keys);
    /// an empty key is returned as "" for the caller to report per object.
    public static func deleteObjects(_ body: [UInt8]) throws(S3XMLError) -> (quiet: Bool, objects: [(key: String, versionId: String?)]) {
        let root = try SafeXMLParser.parse(body, root: "Delete")

        var quiet = false
        if let element = try root.child("Quiet") {
            // xs:boolean spellings; SDKs send "true"/"false".
            switch try element.text().lowercased() {
            case "true", "1": quiet = true
            case "false", "0": quiet = false
            default: throw .malformed("<Quiet> is not a boolean")
            }
        }

        let objectElements = root.children(named: "Object")
        guard !objectElements.isEmpty else { throw .malformed("no <Object> elements") }
        guard objectElements.count <= maxDeleteObjects else { throw .malformed("more than \(maxDeleteObjects) objects") }

        var objects: [(key: String, versionId: String?)] = []
        objects.reserveCapacity(objectElements.count)
        for object in objectElements {
            guard let key = try object.child("Key") else { throw .malformed("<Object> without <Key>") }
            let versionId = try object.child("VersionId")?.text()
            objects.append((key: try key.exactText(), versionId: versionId))
        }
        return (quiet, objects)
    }
}
