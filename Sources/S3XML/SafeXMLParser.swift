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

    /// The checks both readers make before libxml2 sees a byte (size, UTF-8), and a fresh parser context.
    private static func newContext(for body: [UInt8]) throws(S3XMLError) -> xmlParserCtxtPtr {
        guard !body.isEmpty else { throw .malformed("empty body") }
        guard body.count <= maxInputBytes else { throw .malformed("body larger than \(maxInputBytes) bytes") }
        guard body.withUnsafeBufferPointer(isValidXMLUTF8) else { throw .malformed("body is not valid UTF-8") }

        LibXML2Setup.ensureInitialized()
        LibXML2Setup.silenceCurrentThread()

        guard let ctxt = xmlNewParserCtxt() else { throw .malformed("libxml2 context allocation failed") }
        return ctxt
    }

    /// Parses `body` and returns its root element, which must be `rootName`
    /// (with or without the S3 namespace).
    static func parse(_ body: [UInt8], root rootName: String) throws(S3XMLError) -> ParsedElement {
        let ctxt = try newContext(for: body)
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

/// What `SafeXMLParser.stream` reports: only elements a tree copy would keep (in the S3 namespace or
/// none, outside foreign subtrees), with `depth` counted as in the tree (the root is 1).
protocol XMLStreamHandler: AnyObject {
    /// An element opens. `name` is its local name (UTF-8), valid during the call.
    func start(_ name: UnsafeBufferPointer<UInt8>, depth: Int) throws(S3XMLError)
    /// Text or CDATA directly inside the open element at `depth`, in pieces.
    func text(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int)
    /// The element at `depth` closes.
    func end(depth: Int) throws(S3XMLError)
}

extension SafeXMLParser {
    /// Parses `body` as `parse` does (same size, UTF-8, DOCTYPE, entity, depth and element limits, same
    /// namespace rule) but reports elements to `handler` as libxml2 reads them instead of building two trees
    /// (libxml2's and the Swift copy): for bodies of 10,000 elements, where the trees are most of the cost.
    /// Whether `handler` saw a root element, and the right one, is its own check.
    static func stream(_ body: [UInt8], to handler: some XMLStreamHandler) throws(S3XMLError) {
        let ctxt = try newContext(for: body)
        defer { xmlFreeParserCtxt(ctxt) }
        guard let sax = ctxt.pointee.sax else { throw .malformed("libxml2 context without a SAX handler") }

        // Only these callbacks: no tree, no document node. Stop at <!DOCTYPE as `parse` does.
        var h = xmlSAXHandler()
        h.initialized = UInt32(XML_SAX2_MAGIC)
        h.internalSubset = stopAtDoctype
        h.serror = discardStructuredError
        h.startElementNs = streamStartElement
        h.endElementNs = streamEndElement
        h.characters = streamCharacters
        h.ignorableWhitespace = streamCharacters
        h.cdataBlock = streamCharacters
        h.reference = streamReference
        sax.pointee = h

        // xmlCtxtReadMemory keeps the handler and `_private`, and parses with the options `parse` uses.
        let state = StreamState(handler)
        ctxt.pointee._private = Unmanaged.passUnretained(state).toOpaque()
        let doc = withExtendedLifetime((state, handler)) {
            body.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    xmlCtxtReadMemory(ctxt, $0.baseAddress, Int32($0.count), nil, nil, options)
                }
            }
        }
        ctxt.pointee._private = nil
        if let doc { xmlFreeDoc(doc) }   // none without a startDocument callback

        if let error = state.error { throw error }
        if ctxt.pointee.errNo == Int32(bitPattern: XML_ERR_USER_STOP.rawValue) { throw .malformed("DOCTYPE is not allowed") }
        guard ctxt.pointee.wellFormed != 0, ctxt.pointee.nsWellFormed != 0 else {
            throw .malformed(lastErrorDescription(ctxt))
        }
    }

    /// Parser state shared with the C callbacks through the context's `_private`.
    fileprivate final class StreamState {
        /// `stream`'s caller keeps it alive for the whole parse.
        unowned(unsafe) let handler: any XMLStreamHandler
        /// Depth of the innermost open kept element (0 before the root).
        var depth = 0
        /// > 0 inside an element in a foreign namespace: its nesting, all ignored (a tree copy drops it whole).
        var skipping = 0
        var budget = maxElements
        var error: S3XMLError?
        /// Where libxml2 last gave the S3 namespace's name (a pointer into its dictionary, for this parse).
        var s3NamespacePointer: UnsafePointer<xmlChar>?
        init(_ handler: any XMLStreamHandler) { self.handler = handler }

        func fail(_ ctx: UnsafeMutableRawPointer?, _ e: S3XMLError) {
            if error == nil { error = e }
            if let ctx { xmlStopParser(ctx.assumingMemoryBound(to: xmlParserCtxt.self)) }
        }
    }
}

/// Runs `body` with the parse's state, unless a callback has already failed. No retain and release
/// per callback: `stream` keeps the state alive.
@inline(__always)
private func withStreamState(_ ctx: UnsafeMutableRawPointer?, _ body: (SafeXMLParser.StreamState) -> Void) {
    guard let ctx, let p = ctx.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else { return }
    Unmanaged<SafeXMLParser.StreamState>.fromOpaque(p)._withUnsafeGuaranteedRef { state in
        if state.error == nil { body(state) }
    }
}

private let s3NamespaceBytes = Array(SafeXMLParser.s3Namespace.utf8)

/// `String(cString: uri) == s3Namespace`, without making the String.
private func isS3Namespace(_ uri: UnsafePointer<xmlChar>) -> Bool {
    var i = 0
    for b in s3NamespaceBytes {
        if uri[i] != b { return false }
        i += 1
    }
    return uri[i] == 0
}

private let streamStartElement: startElementNsSAX2Func = { ctx, localname, _, uri, _, _, _, _, _ in
    withStreamState(ctx) { state in
        if state.skipping > 0 { state.skipping += 1; return }
        // The checks `copy` makes, in its order: depth, element budget, then the namespace.
        let depth = state.depth + 1
        guard depth <= SafeXMLParser.maxDepth else { return state.fail(ctx, .malformed("nesting deeper than \(SafeXMLParser.maxDepth)")) }
        state.budget -= 1
        guard state.budget >= 0 else { return state.fail(ctx, .malformed("more than \(SafeXMLParser.maxElements) elements")) }
        // libxml2 keeps one copy of each namespace name in its dictionary, so the pointer of the last
        // one found to be S3's answers for the next element without comparing 40 bytes again.
        if let uri, uri != state.s3NamespacePointer {
            guard isS3Namespace(uri) else {
                state.skipping = 1
                return
            }
            state.s3NamespacePointer = uri
        }
        state.depth = depth
        guard let localname else { return state.fail(ctx, .malformed("element without a name")) }
        let name = UnsafeBufferPointer(start: localname, count: Int(xmlStrlen(localname)))
        do throws(S3XMLError) { try state.handler.start(name, depth: depth) } catch { state.fail(ctx, error) }
    }
}

private let streamEndElement: endElementNsSAX2Func = { ctx, _, _, _ in
    withStreamState(ctx) { state in
        if state.skipping > 0 { state.skipping -= 1; return }
        let depth = state.depth
        state.depth -= 1
        do throws(S3XMLError) { try state.handler.end(depth: depth) } catch { state.fail(ctx, error) }
    }
}

private let streamCharacters: charactersSAXFunc = { ctx, bytes, length in
    withStreamState(ctx) { state in
        guard state.skipping == 0, state.depth > 0, let bytes, length > 0 else { return }
        state.handler.text(UnsafeBufferPointer(start: bytes, count: Int(length)), depth: state.depth)
    }
}

/// An entity reference left unexpanded: `copy` refuses such nodes, outside foreign subtrees.
private let streamReference: referenceSAXFunc = { ctx, _ in
    withStreamState(ctx) { state in
        guard state.skipping == 0 else { return }
        state.fail(ctx, .malformed("unexpected entity reference"))
    }
}
