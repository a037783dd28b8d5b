/// True if `bytes` is well-formed UTF-8 (no overlongs, surrogates or values past
/// U+10FFFF) and has no NUL. Checked before libxml2 sees the body so that its
/// encoding auto-detection (UTF-16/UCS-4 guesses from NUL bytes, declared
/// encodings) can never reinterpret the input.
func isValidXMLUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    // Most bodies are ASCII: one pass over the bytes, no decoding.
    if !bytes.contains(where: { $0 == 0 || $0 >= 0x80 }) { return true }
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            if scalar.value == 0 { return false }
        case .emptyInput:
            return true
        case .error:
            return false
        }
    }
}
