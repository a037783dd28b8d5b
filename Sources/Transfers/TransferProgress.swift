import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Bytes done out of bytes to do, shown on a terminal as one redrawn line (bar, percent, sizes, rate, time left),
/// and otherwise as one plain line per finished file. Bytes a resumed transfer found already in place count as
/// done but not as sent, so the rate is what really went over the wire.
public final class TransferProgress: Sendable {
    struct Counts {
        var total: Int64 = 0
        var done: Int64 = 0
        var sent: Int64 = 0
        var current = ""
        /// When the line was last drawn (`ProcessInfo.systemUptime`).
        var drawnAt = -Double.infinity
    }

    /// The least time between two redraws of the line.
    static let redrawInterval = 0.2

    private let counts = NIOLockedValueBox(Counts())
    private let started = Date()
    public let isTerminal: Bool
    private let output: FileHandle

    public init(output: FileHandle = .standardError, isTerminal: Bool? = nil) {
        self.output = output
        self.isTerminal = isTerminal ?? (isatty(output.fileDescriptor) == 1)
    }

    public func add(total: Int64) { counts.withLockedValue { $0.total += total } }
    public func skipped(_ bytes: Int64) { counts.withLockedValue { $0.done += bytes } }
    public func sent(_ bytes: Int64) {
        counts.withLockedValue { $0.done += bytes; $0.sent += bytes }
        drawIfDue()
    }
    public func working(on name: String) { counts.withLockedValue { $0.current = name } }
    public var bytesSent: Int64 { counts.withLockedValue { $0.sent } }

    /// Redraws the terminal line every `redrawInterval` until cancelled; does nothing when not on a terminal.
    /// Bytes sent redraw it too, at most as often (`drawIfDue`): a busy process may wake this loop late.
    public func run() async {
        guard isTerminal else { return }
        while !Task.isCancelled {
            draw()
            try? await Task.sleep(for: .seconds(Self.redrawInterval))
        }
    }

    public func draw() { draw(onlyIfDue: false) }

    /// Draws the line when the last drawing is `redrawInterval` old.
    func drawIfDue() { draw(onlyIfDue: true) }

    /// Whether to draw is decided, and the time of drawing noted, under one lock: tasks sending at once
    /// draw the line once.
    private func draw(onlyIfDue: Bool) {
        guard isTerminal else { return }
        let now = ProcessInfo.processInfo.systemUptime
        let drawing = counts.withLockedValue { c in
            if onlyIfDue && now - c.drawnAt < Self.redrawInterval { return false }
            c.drawnAt = now
            return c.total > 0
        }
        if drawing { output.write(Data(("\r\u{1B}[K" + line(width: 30)).utf8)) }
    }

    /// The line after a file is done: on a terminal it replaces the bar, elsewhere it is the only output.
    public func finished(_ text: String) {
        output.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    func line(width: Int) -> String {
        let c = counts.withLockedValue { $0 }
        let fraction = c.total > 0 ? Double(c.done) / Double(c.total) : 1
        let filled = Int(fraction * Double(width))
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(c.sent) / elapsed
        let left = rate > 0 ? Double(c.total - c.done) / rate : .infinity
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: max(0, width - filled))
        return "[\(bar)] \(Int(fraction * 100))% \(Self.size(c.done))/\(Self.size(c.total)) \(Self.size(Int64(rate)))/s "
            + (left.isFinite ? "\(Int(left.rounded())) s left" : "--") + (c.current.isEmpty ? "" : "  \(c.current)")
    }

    public static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
