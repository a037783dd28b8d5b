import CLibXML2

/// One-time libxml2 setup. libxml2 2.9 requires xmlInitParser before use from
/// several threads, and its default error handlers print to stderr. Error
/// handlers are per-thread state in libxml2, so we set the process-wide default
/// for threads not yet seen (ThrDef) and the calling thread's; `silence()` is
/// also called before each parse for threads that predate this setup.
enum LibXML2Setup {
    // Swift global/static initialisation runs exactly once, thread-safely.
    private static let once: Void = {
        xmlInitParser()
        xmlThrDefSetStructuredErrorFunc(nil, discardStructuredError)
        xmlSetStructuredErrorFunc(nil, discardStructuredError)
    }()

    static func ensureInitialized() {
        _ = once
    }

    /// Cheap thread-local store; a structured handler takes precedence over the
    /// (variadic, not expressible in Swift) generic one for all parser errors.
    static func silenceCurrentThread() {
        xmlSetStructuredErrorFunc(nil, discardStructuredError)
    }
}

let discardStructuredError: xmlStructuredErrorFunc = { _, _ in }
