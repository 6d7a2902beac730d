import Foundation
import Synchronization

/// Counts refused tokens per client address: after `limit` refusals within `window`, the
/// address is refused outright (429) until the window has passed, so tokens cannot be guessed
/// at speed. Forgotten addresses are swept as they age.
final class FailedLogins: Sendable {
    let limit: Int
    let window: Duration
    private let state = Mutex<[String: (count: Int, since: ContinuousClock.Instant)]>([:])

    init(limit: Int = 10, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Whether `address` is locked out now.
    func isLockedOut(_ address: String) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { entries in
            guard let entry = entries[address] else { return false }
            if now - entry.since > window {
                entries[address] = nil
                return false
            }
            return entry.count >= limit
        }
    }

    /// Notes a refused token from `address`.
    func fail(_ address: String) {
        let now = ContinuousClock.now
        state.withLock { entries in
            if entries.count > 10_000 { entries = entries.filter { now - $0.value.since <= window } }
            if let entry = entries[address], now - entry.since <= window {
                entries[address] = (entry.count + 1, entry.since)
            } else {
                entries[address] = (1, now)
            }
        }
    }
}
