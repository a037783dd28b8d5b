/// A header whose value is a comma-separated list of tokens (RFC 9110 §5.6.1: Connection, Expect, Vary),
/// each trimmed of spaces and tabs and compared without ASCII case.
enum HeaderTokens {
    static func contains(_ token: String, in value: String) -> Bool {
        value.split(separator: ",").contains { part in
            let trimmed = part.utf8.drop { $0 == 0x20 || $0 == 0x09 }
            let end = trimmed.lastIndex { $0 != 0x20 && $0 != 0x09 }
            guard let end else { return false }
            let bytes = trimmed[...end]
            return bytes.count == token.utf8.count
                && zip(bytes, token.utf8).allSatisfy { ASCIICase.lower($0) == ASCIICase.lower($1) }
        }
    }
}
