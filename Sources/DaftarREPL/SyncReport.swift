public import DaftarClient
import DaftarModel
import DaftarStore
public import Foundation

/// How one sync's outcome is told: a few lines for the officer, or one JSON document.
public enum SyncReport {
    /// The longest wait between attempts of `sync --every` while the link is down (unless the
    /// interval itself is longer).
    public static let longestBackOff = 60.0

    /// The wait after `failures` failed syncs in a row (0 after a success: the interval): the
    /// interval doubled per failure, at most ``longestBackOff`` or the interval if that is longer.
    public static func backOff(interval: Double, failures: Int) -> Double {
        guard failures > 0 else { return interval }
        return min(interval * pow(2, Double(min(failures, 30))), max(interval, longestBackOff))
    }

    /// The JSON form of a sync, documented in the README.
    public struct JSON: Encodable, Sendable {
        public var remote: String
        public var server: String?
        public var ok: Bool
        public var sent: Int
        public var received: Int
        public var newConflicts: Int
        public var milliseconds: Int
        public var serverStopped: String?
        public var localStopped: String?
        public var heldBack: [String]
        public var forks: [String]
        /// Withdrawn scopes deleted after this sync: the server held every change of them.
        public var deletedScopes: [String] = []
        public var error: String?
        public var at: String
    }

    public static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    public static func ok(_ s: SyncSummary) -> Bool { s.serverStop == nil && s.localStop == nil && s.forks.isEmpty }

    public static func json(_ s: SyncSummary, at: Date = Date()) -> JSON {
        JSON(
            remote: s.remote, server: s.server?.rawValue, ok: ok(s), sent: s.progress.sentChanges, received: s.progress.receivedChanges,
            newConflicts: s.newConflicts, milliseconds: milliseconds(s.duration), serverStopped: s.serverStop?.message, localStopped: s.localStop.map { "\($0)" },
            heldBack: s.heldBack.map(\.description), forks: s.forks.map(\.description), deletedScopes: s.deletedScopes.map(\.scope.rawValue), error: nil,
            at: at.formatted(.iso8601))
    }

    public static func json(failed remote: String, _ error: SyncError, at: Date = Date()) -> JSON {
        JSON(
            remote: remote, server: nil, ok: false, sent: 0, received: 0, newConflicts: 0, milliseconds: 0, serverStopped: nil, localStopped: nil, heldBack: [],
            forks: [], error: error.message, at: at.formatted(.iso8601))
    }

    public static func text(_ s: SyncSummary) -> String {
        var lines = [
            "synced with \(s.remote)\(s.server.map { " (\($0))" } ?? ""): sent \(s.progress.sentChanges), received \(s.progress.receivedChanges), \(Session.plural(s.newConflicts, "new conflict", "new conflicts")), \(milliseconds(s.duration)) ms"
        ]
        if let stop = s.serverStop { lines.append("  \(s.remote) stopped taking this node's changes: \(stop.message)") }
        if let stop = s.localStop { lines.append("  this node stopped taking \(s.remote)'s changes: \(stop)") }
        if !s.heldBack.isEmpty {
            lines.append(
                "  \(s.heldBack.count) origin(s) held back from \(s.remote), first \(s.heldBack[0]): this node may pass on only its own changes there; register it as a relay on \(s.remote), or let \(s.remote) get them from their origin"
            )
        }
        for fork in s.forks { lines.append("  FORK: \(fork)") }
        for skew in s.skews { lines.append("  clock: \(skew.dot.origin) is \(skew.skewMilliseconds / 1000) s past the allowed drift") }
        for (scope, origins) in s.withdrawalsWaiting.sorted(by: { $0.key < $1.key }) {
            let others = origins.filter { $0 != s.server }
            lines.append(
                "  withdrawn scope \(scope) is not deleted yet: \(s.remote) lacks changes of it from \(origins.map(\.rawValue).joined(separator: ", "))\(others.isEmpty ? "" : "; this office may pass on only its own, so those must reach \(s.remote) from their office first"); sync again later")
        }
        for deletion in s.deletedScopes {
            lines.append(
                "  deleted withdrawn scope \(deletion.scope): \(Session.plural(deletion.changes, "change", "changes")) and \(Session.plural(deletion.entries, "entry", "entries")), after \(deletion.confirmedBy) confirmed it holds them all")
        }
        return lines.joined(separator: "\n")
    }
}
