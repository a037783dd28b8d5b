/// The tokens of a Connection header (RFC 9110 §7.6.1): a comma-separated list, compared without case.
enum ConnectionTokens {
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
