import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// systemd's notification protocol (sd_notify(3)), written for this project: each state change is one datagram of
/// `KEY=VALUE` lines sent to the unix socket named by `$NOTIFY_SOCKET`, a file path, or an abstract socket when it
/// starts with '@'. Without the variable (not started by systemd with `Type=notify`) every call does nothing.
package struct SystemdNotifier: Sendable {
    /// The socket's address bytes as sockaddr_un's sun_path takes them (abstract: a leading NUL), or nil.
    let address: [UInt8]?
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, when it is set for this process.
    package let watchdogInterval: Duration?

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty {
            var bytes = Array(socket.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            address = bytes
        } else {
            address = nil
        }
        // WATCHDOG_PID, when present, names the process the watchdog is for (not a child started with our environment).
        let forUs = environment["WATCHDOG_PID"].map { $0 == String(getpid()) } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(Int64(clamping: usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    package var isActive: Bool { address != nil }

    /// Sends `state` (e.g. "READY=1"); errors name the socket. Does nothing when not under systemd.
    package func notify(_ state: String) throws {
        guard let address else { return }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        // A path needs room for its NUL; an abstract name is exactly its bytes.
        guard address.count < capacity || (address.first == 0 && address.count <= capacity) else {
            throw SystemdNotifyError("NOTIFY_SOCKET is longer than a unix socket address can be")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { path in
            path.copyBytes(from: address)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        let length = pathOffset + address.count + (address.first == 0 ? 0 : 1)
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw SystemdNotifyError("socket(AF_UNIX): errno \(errno)") }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(length)) }
            }
        }
        guard sent == message.count else {
            throw SystemdNotifyError("cannot send \(state) to NOTIFY_SOCKET: errno \(errno)")
        }
    }
}

package struct SystemdNotifyError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
