public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bare HTTP/1.1 connection to a loopback port over a blocking socket, for clients that
/// misbehave on purpose: a body sent a byte at a time, or cut off, or held back.
public final class RawHTTP: @unchecked Sendable {
    let fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Connects to 127.0.0.1:`port`; reads give up after `timeout`.
    public init(port: Int, timeout: TimeInterval = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed: \(errno)")
        }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// The request line and headers of a POST with a body of `length` bytes.
    public static func postHead(path: String, token: String?, contentType: String, length: Int) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(length)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    /// Writes all of `bytes`; false when the server closed the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// The socket, for tests that read or set it directly.
    public var descriptor: Int32 { fd }

    /// Reads one response: its status code and body (Content-Length bodies only).
    public func response() throws -> (status: Int, body: Data) {
        let (status, body, _) = try responseWithHeaders()
        return (status, body)
    }

    /// Reads one response: its status code, body (Content-Length bodies only) and headers
    /// (names in lower case).
    public func responseWithHeaders() throws -> (status: Int, body: Data, headers: [String: String]) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var length = 0
        while true {
            if let end = headerEnd, buffer.count >= end + length { break }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "the connection closed or timed out before a whole response (\(buffer.count) bytes read)") }
            buffer += chunk[0..<n]
            if headerEnd == nil, let range = Data(buffer).range(of: Data("\r\n\r\n".utf8)) {
                headerEnd = range.upperBound
                let head = String(decoding: buffer[0..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "not an HTTP response: \(head.prefix(80))") }
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, Data(buffer[headerEnd!..<(headerEnd! + length)]), headers)
    }
}

/// Runs blocking work (a socket read, a sleep) on a thread of its own and waits for it, so that
/// it never holds one of the few threads Swift concurrency runs every test and server task on.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// One process started at a time in this test process: Foundation's `Process.run()` on Linux
/// copies the environment and file actions in ways that are not safe when many tests start
/// processes on several threads at once (a crash was seen in it), so every start goes through
/// this lock. Only the start is serialized; the processes run side by side.
private let spawning = NSLock()

public func spawn(_ process: Process) throws {
    try whileSpawning {
        // A write to a child that has ended must fail with EPIPE where it is made, not end the
        // whole test process with SIGPIPE (the default action).
        signal(SIGPIPE, SIG_IGN)
        try process.run()
    }
}

/// Runs `body` (a process start of any kind, `posix_spawn` too) while no other start is under
/// way in this test process: a `Process.run()` on one thread beside a `posix_spawn` on another
/// crashed in Foundation's copying of the environment.
public func whileSpawning<T>(_ body: () throws -> T) rethrows -> T {
    spawning.lock()
    defer { spawning.unlock() }
    return try body()
}
