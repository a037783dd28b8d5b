/// Why a key has no current object: its bucket does not exist, or it has none (and the key's latest
/// version is then this delete marker, if it is one).
public enum MissingKey: Sendable {
    case noBucket
    case noObject(deleteMarker: ObjectRecord?)
}
