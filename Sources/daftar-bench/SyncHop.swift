import DaftarClient
import DaftarModel
import DaftarStore
import DaftarTesting
import Foundation

/// N changes from an office to a central node over loopback HTTP, then on to a second office,
/// with each body encoding; reports seconds and changes per second per hop.
func syncHop(_ options: Options) async throws -> [BenchRow] {
    var rows: [BenchRow] = []
    let folder = options.folder + "/daftar-bench-sync-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let office = try Store.create(at: folder + "/office.daftar", node: try NodeID("fia-lahore"))
    try Synthetic.fill(office, count: options.entries, seed: 11)
    // The office's own index work for these entries is done before the hops are timed.
    try office.updateIndex()
    print("office holds \(options.entries) changes")
    for encoding in [SyncClient.Encoding.compact, .json] {
        let tag = encoding == .compact ? "compact" : "json"
        let central = try Store.create(at: folder + "/central-\(tag).daftar", node: try NodeID("central"))
        let second = try Store.create(at: folder + "/second-\(tag).daftar", node: try NodeID("fia-karachi"))
        let (s1, hop1, s2, hop2, centralIndexed, secondIndexed) = try await withLiveServer(central) { url in
            let up = Remote(name: "central", url: url, token: try central.registerPeer(office.node, role: .office))
            let down = Remote(name: "central", url: url, token: try central.registerPeer(second.node, role: .office))
            try office.saveRemote(up)
            // One hop is timed up to the end of its sync; the receiver's index work left after it
            // is finished before the next hop starts, and timed apart.
            func hop(_ store: Store, _ remote: Remote, receiver: Store) async throws -> (SyncSummary, Double, Double) {
                let client = try SyncClient(store: store, remote: remote, encoding: encoding)
                let t0 = ContinuousClock.now
                let summary = try await client.sync()
                let synced = seconds(ContinuousClock.now - t0)
                await client.shutdown()
                let t1 = ContinuousClock.now
                try receiver.updateIndex()
                return (summary, synced, seconds(ContinuousClock.now - t1))
            }
            let (s1, hop1, centralIndexed) = try await hop(office, up, receiver: central)
            let (s2, hop2, secondIndexed) = try await hop(second, down, receiver: second)
            return (s1, hop1, s2, hop2, centralIndexed, secondIndexed)
        }
        guard s1.progress.sentChanges == options.entries, s2.progress.receivedChanges == options.entries else {
            throw BenchError("sync did not carry every change: sent \(s1.progress.sentChanges), received \(s2.progress.receivedChanges)")
        }
        let slower = Double(options.entries) / max(hop1, hop2)
        rows.append(
            BenchRow(
                id: "sync-hop-\(tag)", what: "\(options.entries) changes office -> central -> office over loopback, \(tag) bodies", value: slower, unit: "changes/s",
                baseline: nil, ratio: nil, target: tag == "compact" ? ">= 30000 changes/s per hop" : "report", met: tag == "compact" ? slower >= 30000 : nil,
                note: String(
                    format: "hop 1 %.2f s (%d exchanges), hop 2 %.2f s (%d exchanges); indexes caught up %.2f s after hop 1 at the central node, %.2f s after hop 2 at the office",
                    hop1, s1.progress.exchanges, hop2, s2.progress.exchanges, centralIndexed, secondIndexed)))
    }
    return rows
}
