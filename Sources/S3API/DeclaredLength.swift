import StorageCore

/// Whether an upload's body has a length S3 can work with: Content-Length, aws-chunked's
/// x-amz-decoded-content-length, or plain HTTP/1.1 `Transfer-Encoding: chunked` (the HTTP layer
/// de-chunks it; the length is known when the body ends). Neither is 411 MissingContentLength.
enum DeclaredLength {
    static func require(contentLength: String?, decodedContentLength: String?, transferEncoding: String?) throws {
        if contentLength != nil || decodedContentLength != nil { return }
        if let te = transferEncoding, isChunked(te) { return }
        throw CoreError("MissingContentLength", "You must provide the Content-Length HTTP header.")
    }

    /// RFC 9112: the final transfer coding is "chunked" (case-insensitive), e.g. "chunked" or "gzip, chunked".
    static func isChunked(_ transferEncoding: String) -> Bool {
        guard let last = transferEncoding.split(separator: ",").last else { return false }
        let coding = last.utf8.filter { $0 != 0x20 && $0 != 0x09 }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        return coding.elementsEqual("chunked".utf8)
    }
}
