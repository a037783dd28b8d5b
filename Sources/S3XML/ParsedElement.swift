/// An element copied out of the libxml2 tree, so the C document is freed
/// before any S3-level interpretation happens.
struct ParsedElement: Sendable {
    /// Local name; the namespace was checked while copying.
    var name: String
    /// Concatenated direct text and CDATA children, untrimmed.
    var rawText: String
    /// Child elements in document order. Elements in foreign namespaces are
    /// dropped, so they behave like unknown elements.
    var children: [ParsedElement]

    func children(named name: String) -> [ParsedElement] {
        children.filter { $0.name == name }
    }

    /// The single child called `name`, nil if absent; repeated → MalformedXML.
    func child(_ name: String) throws(S3XMLError) -> ParsedElement? {
        var found: ParsedElement?
        for c in children where c.name == name {
            guard found == nil else { throw .malformed("<\(name)> repeated in <\(self.name)>") }
            found = c
        }
        return found
    }

    /// Text of a value element with surrounding XML whitespace trimmed.
    func text() throws(S3XMLError) -> String {
        try exactText().trimmingXMLWhitespace()
    }

    /// Text exactly as sent, for object keys and prefixes where spaces matter.
    func exactText() throws(S3XMLError) -> String {
        guard children.isEmpty else { throw .malformed("<\(name)> must hold text, not elements") }
        return rawText
    }
}

extension String {
    /// Trims the four XML whitespace characters only (not all Unicode spaces).
    func trimmingXMLWhitespace() -> String {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
