/// Builds S3 response documents. Text is escaped; element names are ours (never a client's).
public struct XMLWriter: Sendable {
    public static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
    private var out: String
    private var stack: [String] = []

    /// Starts a document whose root carries the S3 namespace (pass nil for none, as in Error).
    public init(root: String, namespace: String? = XMLWriter.s3Namespace) {
        out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root)"
        if let namespace { out += " xmlns=\"\(namespace)\"" }
        out += ">"
        stack.append(root)
    }

    public mutating func open(_ name: String, attributes: [(String, String)] = []) {
        out += "<\(name)"
        for (n, v) in attributes {
            out += " \(n)=\""
            Self.escape(v, into: &out)
            out += "\""
        }
        out += ">"
        stack.append(name)
    }

    public mutating func close() {
        out += "</\(stack.removeLast())>"
    }

    /// `<name>text</name>`; skipped when text is nil.
    public mutating func element(_ name: String, _ text: String?) {
        guard let text else { return }
        out += "<\(name)>"
        Self.escape(text, into: &out)
        out += "</\(name)>"
    }

    public mutating func element(_ name: String, _ value: Int) { element(name, String(value)) }
    public mutating func element(_ name: String, _ value: Int64) { element(name, String(value)) }
    public mutating func element(_ name: String, _ value: Bool) { element(name, value ? "true" : "false") }

    public mutating func group(_ name: String, _ body: (inout XMLWriter) -> Void) {
        open(name)
        body(&self)
        close()
    }

    public consuming func finish() -> String {
        while !stack.isEmpty { close() }
        return out
    }

    static func escape(_ s: String, into out: inout String) {
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default:
                // XML 1.0 cannot carry most control characters, even escaped; S3 would use encoding-type=url.
                if c.value < 0x20 && c != "\n" && c != "\t" {
                    out += "&#\(c.value);"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
    }
}
