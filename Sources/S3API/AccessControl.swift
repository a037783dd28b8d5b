import S3XML

enum AccessControl {
    /// The single-owner ACL every bucket and object has (canned ACLs are accepted and not enforced).
    static func policyDocument(owner: String) -> String {
        var w = XMLWriter(root: "AccessControlPolicy")
        w.group("Owner") { $0.element("ID", owner); $0.element("DisplayName", owner) }
        w.group("AccessControlList") { w in
            w.group("Grant") { g in
                g.open("Grantee", attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "CanonicalUser")])
                g.element("ID", owner); g.element("DisplayName", owner)
                g.close()
                g.element("Permission", "FULL_CONTROL")
            }
        }
        return w.finish()
    }
}
