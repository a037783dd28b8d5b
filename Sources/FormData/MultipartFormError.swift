/// Why a multipart/form-data body (or its boundary) was refused by `MultipartFormParser`.
///
/// Every malformed input ends in one of these, thrown; the parser has no trap or precondition that
/// network bytes can reach.
public enum MultipartFormError: Error, Equatable, Sendable {
    /// `init(boundary:)` got an empty boundary.
    case emptyBoundary
    /// `init(boundary:)` got a boundary holding a CR or LF (no bchar is either, and no header value
    /// can carry one).
    case invalidBoundary
    /// A boundary was followed by something other than "--", transport padding (spaces and tabs) or
    /// CRLF, e.g. "--boundaryX" or "--boundary-x".
    case malformedDelimiterLine
    /// A header line with no colon, an empty name, or a name byte that is not a token character
    /// (RFC 9110 tchar; any byte >= 0x80 included). A line starting with a space or tab (obsolete
    /// folding) is one of these too.
    case malformedHeader
    /// A CR not followed by LF in a header block or at the end of a delimiter line.
    case bareCarriageReturn
    /// A part's header block passed `MultipartFormParser.maxHeaderBlockBytes`.
    case headerBlockTooLarge
    /// `finish()`: the input ended before the close delimiter.
    case truncated
}
