/// A master key file that cannot be used (missing, unreadable, malformed): the daemon refuses to start.
public struct MasterKeyError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
