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

    /// How many seconds `address` stays locked out for unknown tokens, or nil when it is not.
    func lockedOutFor(_ address: String) -> Int? {
        let now = ContinuousClock.now
        return state.withLock { entries in
            guard let entry = entries[address] else { return nil }
            let age = now - entry.since
            if age > window {
                entries[address] = nil
                return nil
            }
            guard entry.count >= limit else { return nil }
            return max(1, Int((window - age).components.seconds) + 1)
        }
    }

    /// Notes a refused token from `address`; returns how many it has had in the window.
    @discardableResult
    func fail(_ address: String) -> Int {
        let now = ContinuousClock.now
        return state.withLock { entries in
            if entries.count > 10_000 { entries = entries.filter { now - $0.value.since <= window } }
            if let entry = entries[address], now - entry.since <= window {
                entries[address] = (entry.count + 1, entry.since)
                return entry.count + 1
            }
            entries[address] = (1, now)
            return 1
        }
    }
}
