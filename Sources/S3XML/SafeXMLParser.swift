import CLibXML2

/// Parses untrusted request bodies with libxml2, refusing anything that could
/// reach the network or file system, expand entities, or exhaust resources.
enum SafeXMLParser {
    static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
    /// Callers cap bodies earlier; this is the last line of defence.
    static let maxInputBytes = 10 << 20
    static let maxDepth = 32
    /// Bounds the Swift copy of the tree (10,000 parts × ~8 elements fits).
    static let maxElements = 200_000

    /// NONET: no network fetches. NOERROR/NOWARNING: no stderr output.
    /// IGNORE_ENC: the body is UTF-8 (validated below) whatever it declares.
    /// Deliberately absent: NOENT, DTDLOAD, DTDATTR, HUGE.
    private static let options = Int32(bitPattern:
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
            | XML_PARSE_NOWARNING.rawValue | XML_PARSE_IGNORE_ENC.rawValue)

    /// Parses `body` and returns its root element, which must be `rootName`
    /// (with or without the S3 namespace).
    static func parse(_ body: [UInt8], root rootName: String) throws(S3XMLError) -> ParsedElement {
        guard !body.isEmpty else { throw .malformed("empty body") }
        guard body.count <= maxInputBytes else { throw .malformed("body larger than \(maxInputBytes) bytes") }
        guard body.withUnsafeBufferPointer(isValidXMLUTF8) else { throw .malformed("body is not valid UTF-8") }

        LibXML2Setup.ensureInitialized()
        LibXML2Setup.silenceCurrentThread()

        guard let ctxt = xmlNewParserCtxt() else { throw .malformed("libxml2 context allocation failed") }
        defer { xmlFreeParserCtxt(ctxt) }
        if let sax = ctxt.pointee.sax {
            // Stop at <!DOCTYPE: no DTD, so no entity declarations are ever read
            // (XXE, billion laughs). The tree check below is a second guard.
            sax.pointee.internalSubset = stopAtDoctype
            sax.pointee.serror = discardStructuredError
        }

        let doc = body.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                xmlCtxtReadMemory(ctxt, $0.baseAddress, Int32($0.count), nil, nil, options)
            }
        }
        // xmlStopParser does not clear wellFormed, so the stop is checked apart.
        if ctxt.pointee.errNo == Int32(bitPattern: XML_ERR_USER_STOP.rawValue) {
            if let doc { xmlFreeDoc(doc) }
            throw .malformed("DOCTYPE is not allowed")
        }
        guard let doc else { throw .malformed(lastErrorDescription(ctxt)) }
        defer { xmlFreeDoc(doc) }
        guard ctxt.pointee.wellFormed != 0, ctxt.pointee.nsWellFormed != 0 else {
            throw .malformed(lastErrorDescription(ctxt))
        }
        guard doc.pointee.intSubset == nil, doc.pointee.extSubset == nil else {
            throw .malformed("DTDs are not allowed")
        }
        guard let rootNode = xmlDocGetRootElement(doc) else { throw .malformed("no root element") }

        var budget = maxElements
        guard let root = try copy(rootNode, depth: 1, budget: &budget), root.name == rootName else {
            throw .malformed("root element is not <\(rootName)>")
        }
        return root
    }

    /// Copies an element subtree; nil for elements in a foreign namespace.
    private static func copy(_ node: xmlNodePtr, depth: Int, budget: inout Int) throws(S3XMLError) -> ParsedElement? {
        guard depth <= maxDepth else { throw .malformed("nesting deeper than \(maxDepth)") }
        budget -= 1
        guard budget >= 0 else { throw .malformed("more than \(maxElements) elements") }

        if let href = node.pointee.ns?.pointee.href, String(cString: href) != s3Namespace {
            return nil
        }
        var element = ParsedElement(name: String(cString: node.pointee.name), rawText: "", children: [])
        var child = node.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_ELEMENT_NODE:
                if let sub = try copy(c, depth: depth + 1, budget: &budget) { element.children.append(sub) }
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content { element.rawText += String(cString: content) }
            case XML_COMMENT_NODE, XML_PI_NODE:
                break
            default:
                // Entity references/declarations, DTD nodes, XInclude markers.
                throw .malformed("unexpected node type \(c.pointee.type.rawValue)")
            }
            child = c.pointee.next
        }
        return element
    }
}

/// libxml2's own diagnosis, for logs only.
private func lastErrorDescription(_ ctxt: xmlParserCtxtPtr) -> String {
    let error = ctxt.pointee.lastError
    let message = error.message.map { String(cString: $0).trimmingXMLWhitespace() } ?? "unknown error"
    return "not well-formed: \(message) (line \(error.line), code \(error.code))"
}

/// SAX internalSubset hook: the DOCTYPE is the first thing a DTD attack needs.
/// libxml2 passes the parser context as user data by default.
private let stopAtDoctype: internalSubsetSAXFunc = { ctx, _, _, _ in
    guard let ctx else { return }
    xmlStopParser(ctx.assumingMemoryBound(to: xmlParserCtxt.self))
}
