import Synchronization

#if os(Linux)
    /// glibc's `malloc_trim(3)`: gives the free memory of every heap back to the system.
    @_silgen_name("malloc_trim")
    func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Bounds the memory that request bodies take at once: a request reserves what its body may
/// grow to (read, inflated and decoded) before reading it, and waits while others hold the
/// budget. A body that waits stays in the network's buffers, not in the server's memory. One
/// request may always go ahead alone, whatever it reserves.
final class BodyBudget: Sendable {
    let total: Int
    private struct State {
        var used = 0
        var holders = 0
        var waiting: [(id: Int, bytes: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }
    private let state = Mutex(State())

    init(total: Int) { self.total = total }

    /// First come, first served: the head of the queue goes when it fits.
    private static func grant(_ state: inout State, total: Int) -> [CheckedContinuation<Bool, Never>] {
        var ready: [CheckedContinuation<Bool, Never>] = []
        while let first = state.waiting.first, state.holders == 0 || state.used + first.bytes <= total {
            state.waiting.removeFirst()
            state.used += first.bytes
            state.holders += 1
            ready.append(first.continuation)
        }
        return ready
    }

    /// Waits until `bytes` fit (or nothing else is held), at most `timeout`; false when it
    /// timed out.
    func reserve(_ bytes: Int, timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let granted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { state -> Bool in
                if state.waiting.isEmpty, state.holders == 0 || state.used + bytes <= total {
                    state.used += bytes
                    state.holders += 1
                    return true
                }
                state.waiting.append((id, bytes, continuation))
                return false
            }
            if now {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let (expired, ready) = self.state.withLock { state -> (CheckedContinuation<Bool, Never>?, [CheckedContinuation<Bool, Never>]) in
                    guard let at = state.waiting.firstIndex(where: { $0.id == id }) else { return (nil, []) }
                    let expired = state.waiting.remove(at: at).continuation
                    return (expired, Self.grant(&state, total: self.total))
                }
                expired?.resume(returning: false)
                for continuation in ready { continuation.resume(returning: true) }
            }
        }
        return granted
    }

    /// Gives back what a ``reserve(_:timeout:)`` that returned true took. After a large body,
    /// the memory it took (thousands of small blocks, spread over the heaps of the threads that
    /// decoded and applied it) is given back to the system, so that one large body after
    /// another does not add up.
    func release(_ bytes: Int) {
        defer {
            #if os(Linux)
                if bytes >= 8 * 1024 * 1024 { _ = glibcMallocTrim(0) }
            #endif
        }
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.used -= bytes
            state.holders -= 1
            return Self.grant(&state, total: total)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }
}
