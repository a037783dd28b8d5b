import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One status line for long work (fsck, the start-up sweep over a large store), rewritten in place
/// about once a second. Only when stderr is a terminal: logs and pipes never see it.
public final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let label: String
    private let enabled: Bool
    private let interval: Duration
    private let write: @Sendable (String) -> Void
    private var lastShown: ContinuousClock.Instant
    private var shown = false

    /// - Parameters:
    ///   - enabled: defaults to whether stderr is a TTY.
    ///   - interval: time between redraws; the first line appears only after one interval, so quick work shows nothing.
    ///   - write: where the line goes (stderr by default; tests capture it).
    public init(_ label: String, enabled: Bool = isatty(STDERR_FILENO) == 1, interval: Duration = .seconds(1),
                write: @escaping @Sendable (String) -> Void = ProgressLine.standardError) {
        self.label = label
        self.enabled = enabled
        self.interval = interval
        self.write = write
        self.lastShown = .now
    }

    public static let standardError: @Sendable (String) -> Void = { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Redraws the line with `status` if an interval has passed since the last redraw.
    public func update(_ status: @autoclosure () -> String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = ContinuousClock.now
        guard now - lastShown >= interval else { return }
        lastShown = now
        shown = true
        write("\r\u{1B}[K\(label): \(status())")
    }

    /// Ends the line: if anything was shown, writes the final status and a newline.
    public func finish(_ status: @autoclosure () -> String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        guard shown else { return }
        shown = false
        write("\r\u{1B}[K\(label): \(status())\n")
    }
}
