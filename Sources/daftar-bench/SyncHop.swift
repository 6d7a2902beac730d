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
        // Each hop is judged until the receiver can find what it received; the sync alone is shown beside.
        let slower = Double(options.entries) / max(hop1 + centralIndexed, hop2 + secondIndexed)
        let syncOnly = Double(options.entries) / max(hop1, hop2)
        rows.append(
            BenchRow(
                id: "sync-hop-\(tag)", what: "\(options.entries) changes office -> central -> office over loopback, \(tag) bodies, each hop until findable", value: slower,
                unit: "changes/s", baseline: nil, ratio: nil, target: tag == "compact" ? ">= 30000 changes/s per hop" : "report", met: tag == "compact" ? slower >= 30000 : nil,
                note: String(
                    format: "hop 1 %.2f s (%d exchanges) + %.2f s until the central node finds them; hop 2 %.2f s (%d exchanges) + %.2f s until the office finds them; the syncs alone: %.0f changes/s per hop",
                    hop1, s1.progress.exchanges, centralIndexed, hop2, s2.progress.exchanges, secondIndexed, syncOnly)))
        if tag == "compact" {
            // Office to office: from the first office's sync starting to the second office finding everything.
            let total = hop1 + centralIndexed + hop2 + secondIndexed
            rows.append(
                BenchRow(
                    id: "sync-office-to-office", what: "\(options.entries) changes from one office to another through the central node, until the second finds them", value: Double(options.entries) / total,
                    unit: "changes/s", baseline: nil, ratio: nil, target: "report", met: nil, note: String(format: "%.2f s in all", total)))
        }
    }
    return rows
}
