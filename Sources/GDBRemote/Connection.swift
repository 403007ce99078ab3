#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ConnectionError: Error, CustomStringConvertible {
    public let description: String
}

/// A TCP listening socket on the loopback interface only (a debugger port
/// must not be reachable from other hosts).
public final class Listener {
    let fd: Int32
    /// The port bound (the one asked for, or the kernel's choice for 0).
    public let port: UInt16

    public init(port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError(description: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw ConnectionError(description: "cannot listen on 127.0.0.1:\(port): \(why)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// Accepts a connection; without `blocking`, only if one is waiting.
    public func accept(blocking: Bool) -> Connection? {
        if !blocking && !readable(fd, timeoutMilliseconds: 0) { return nil }
        #if canImport(Glibc)
        let c = Glibc.accept(fd, nil, nil)
        #else
        let c = Darwin.accept(fd, nil, nil)
        #endif
        guard c >= 0 else { return nil }
        var one: Int32 = 1
        setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return Connection(fd: c)
    }

    deinit { close(fd) }
}

/// One debugger connection.
public final class Connection {
    let fd: Int32
    public private(set) var isOpen = true

    init(fd: Int32) { self.fd = fd }

    /// Bytes from the debugger: blocks until some arrive unless `blocking` is
    /// false (then [] when none wait). nil once the debugger has gone.
    public func receive(blocking: Bool) -> [UInt8]? {
        guard isOpen else { return nil }
        if !blocking && !readable(fd, timeoutMilliseconds: 0) { return [] }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { shutdown(); return nil }
        return Array(buf[0..<n])
    }

    public func send(_ bytes: [UInt8]) {
        guard isOpen else { return }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { shutdown(); return }
            off += n
        }
    }

    public func shutdown() {
        guard isOpen else { return }
        isOpen = false
        close(fd)
    }

    deinit { shutdown() }
}

func readable(_ fd: Int32, timeoutMilliseconds: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&p, 1, timeoutMilliseconds) > 0
}
