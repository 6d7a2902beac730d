import DaftarClient
import DaftarModel
import DaftarStore
import DaftarSync
import DaftarTesting
import Foundation
import GRDB

/// Scopes (format 2): an office's pull of 2 of 10 scopes, the withdrawal of a scope, the
/// recomputation after a registry statement voids applied changes, and the knowledge a hub
/// sends per exchange.
func scopeBench(_ options: Options) async throws -> [BenchRow] {
    let folder = options.folder + "/daftar-bench-scopes-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var rows: [BenchRow] = []
    rows.append(try await scopePull(options, folder))
    rows.append(try withdrawal(options, folder))
    rows.append(try recomputation(options, folder))
    rows += try await knowledgeBytes(folder)
    return rows
}

let benchScopes = (0..<10).map { try! Scope("scope-\($0)") }

/// Sends what `to` lacks of the scopes both hold (the registry from the root alone), as the
/// store-level half of an exchange.
func deliver(from: Store, to: Store, root: NodeID) throws {
    let fromRoot = from.node == root
    for _ in 0..<100_000 {
        let receiverHolds = try to.heldScopes()
        let senderHolds = try from.heldScopes()
        let pushed = to.node == root ? Set(try to.scopes(readableBy: from.node, named: from.knowledge().scopes).pushed) : []
        let scopes: (Scope) -> Bool = { scope in
            if scope == .registry { return fromRoot }
            if pushed.contains(scope) { return true }
            return (receiverHolds?.contains(scope) ?? true) && (senderHolds?.contains(scope) ?? true)
        }
        let outgoing = try from.changes(missingFrom: try to.knowledge().restricted(where: scopes), limits: BatchLimits(maxCount: 5000), scopes: scopes)
        if outgoing.changes.isEmpty { return }
        let report = try to.apply(outgoing.changes, senderKnowledge: try from.knowledge().restricted(where: scopes), takesScope: scopes, fromRoot: fromRoot)
        if report.stop != nil || report.applied == 0 { throw BenchError("delivery from \(from.node) to \(to.node) stopped: \(String(describing: report.stop))") }
    }
}

/// scope-pull on a central node of 1,000,000 changes (200,000 pulled).
func scopePullLarge(_ options: Options) async throws -> [BenchRow] {
    let folder = options.folder + "/daftar-bench-scopes-large-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var row = try await scopePull(options, folder)
    row.id = "scope-pull-large"
    return [row]
}

/// An office reads 2 of 10 scopes and pulls them from a central node holding all ten (N
/// changes), against the same pull from a central node holding only those two scopes' changes.
func scopePull(_ options: Options, _ folder: String) async throws -> BenchRow {
    let read: Set<Scope> = [benchScopes[0], benchScopes[1]]
    func central(_ name: String, scopes: [Scope], count: Int) throws -> Store {
        let store = try Store.create(at: folder + "/\(name).daftar", node: try NodeID("central"))
        try store.writeGrant(for: try NodeID("fia-kasur"), .register(read: read, write: []), as: "bench")
        var rng = SplitMix(state: 5)
        var i = 0
        while i < count {
            let end = min(count, i + 1000)
            try store.write(as: "bench") { tx in
                for j in i..<end { try tx.add(kind: Synthetic.kinds[j % Synthetic.kinds.count], fields: Synthetic.fields(j, &rng), in: scopes[j % scopes.count]) }
            }
            i = end
        }
        try store.updateIndex()
        return store
    }
    let total = options.entries
    let big = try central("central-all", scopes: benchScopes, count: total)
    let small = try central("central-two", scopes: Array(benchScopes.prefix(2)), count: total / 5)
    print("central nodes hold \(total) changes in 10 scopes, and \(total / 5) in 2")
    let tokens = [try big.registerPeer(try NodeID("fia-kasur"), role: .office), try small.registerPeer(try NodeID("fia-kasur"), role: .office)]
    func pull(from central: Store, _ tag: String) async throws -> (Double, Int) {
        let office = try Store.create(at: folder + "/office-\(tag).daftar", node: try NodeID("fia-kasur"))
        return try await withLiveServer(central) { url in
            let remote = Remote(name: "central", url: url, token: tokens[central === big ? 0 : 1])
            try office.saveRemote(remote)
            let client = try SyncClient(store: office, remote: remote, encoding: .compact)
            let start = ContinuousClock.now
            let summary = try await client.sync()
            await client.shutdown()
            try office.updateIndex()
            return (seconds(ContinuousClock.now - start), summary.progress.receivedChanges)
        }
    }
    // Alternating which goes first, twice each; the better of each is kept.
    var bigTimes: [Double] = []
    var smallTimes: [Double] = []
    var received = (0, 0)
    for run in 0..<2 {
        if run % 2 == 0 {
            let (b, n) = try await pull(from: big, "all-\(run)")
            let (s, m) = try await pull(from: small, "two-\(run)")
            bigTimes.append(b)
            smallTimes.append(s)
            received = (n, m)
        } else {
            let (s, m) = try await pull(from: small, "two-\(run)")
            let (b, n) = try await pull(from: big, "all-\(run)")
            bigTimes.append(b)
            smallTimes.append(s)
            received = (n, m)
        }
    }
    guard received.0 == received.1 else { throw BenchError("the pulls differ: \(received.0) and \(received.1) changes") }
    let b = bigTimes.min()!
    let s = smallTimes.min()!
    let ratio = b / s
    return BenchRow(
        id: "scope-pull", what: "an office's pull of 2 of 10 scopes (\(received.0) changes) from a central node holding \(total), until findable",
        value: Double(received.0) / b, unit: "changes/s", baseline: Double(received.1) / s, ratio: ratio, target: "ratio <= 1.2", met: ratio <= 1.2,
        note: String(format: "%.2f s against %.2f s from a central node holding only those changes (best of 2 each, alternating)", b, s))
}

/// An office holding N entries of a scope: the scope is withdrawn (hidden at once, when the
/// registry statement arrives), then deleted down to the bytes once the central node holds it
/// all; against a plain application deleting the same entries securely.
func withdrawal(_ options: Options, _ folder: String) throws -> BenchRow {
    let punjab = benchScopes[0]
    let sindh = benchScopes[1]
    let central = try Store.create(at: folder + "/w-central.daftar", node: try NodeID("central"))
    let office = try Store.create(at: folder + "/w-office.daftar", node: try NodeID("fia-kasur"))
    try central.writeGrant(for: office.node, .register(read: [punjab, sindh], write: [punjab, sindh]), as: "bench")
    try office.adoptRoot(central.node, key: try central.rootKey())
    try deliver(from: central, to: office, root: central.node)
    var rng = SplitMix(state: 9)
    let count = options.entries
    var entries: [(Kind, [FieldName: FieldValue])] = []
    for j in 0..<count { entries.append((Synthetic.kinds[j % Synthetic.kinds.count], Synthetic.fields(j, &rng))) }
    var i = 0
    while i < count {
        let end = min(count, i + 1000)
        try office.write(as: "bench") { tx in for j in i..<end { try tx.add(kind: entries[j].0, fields: entries[j].1, in: punjab) } }
        i = end
    }
    try office.write(as: "bench") { tx in for j in 0..<1000 { try tx.add(kind: entries[j].0, fields: entries[j].1, in: sindh) } }
    try office.updateIndex()
    try deliver(from: office, to: central, root: central.node)
    try central.writeGrant(for: office.node, .withdraw(punjab), as: "bench")
    // Hidden: the registry statement applied.
    let t0 = ContinuousClock.now
    try deliver(from: central, to: office, root: central.node)
    let hideStore = seconds(ContinuousClock.now - t0)
    try office.updateIndex()
    let hide = seconds(ContinuousClock.now - t0)
    // Deleted, once the central node confirms it holds every change of it.
    let t1 = ContinuousClock.now
    let confirmed = try central.pushKnowledge(of: [punjab], namedBy: try office.knowledge())
    let (deleted, _) = try office.completeWithdrawals(confirmedBy: confirmed, pushScopes: [punjab], server: "central")
    try office.updateIndex()
    let delete = seconds(ContinuousClock.now - t1)
    guard deleted.first?.entries == count else { throw BenchError("the withdrawal deleted \(deleted.first?.entries ?? 0) entries, not \(count)") }
    // The plain application: the same entries, deleted with secure_delete, its full-text
    // index dropped and made again, its log emptied.
    let plain = try PlainBaseline(path: folder + "/w-plain.sqlite")
    i = 0
    while i < count {
        let end = min(count, i + 1000)
        try plain.write { db in for j in i..<end { try plain.insert(db, kind: entries[j].0, fields: entries[j].1) } }
        i = end
    }
    let t2 = ContinuousClock.now
    try plain.pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA secure_delete = ON")
        try db.inTransaction {
            try db.execute(sql: "DELETE FROM field_index; DELETE FROM entry; DELETE FROM kind_field; DROP TABLE entry_text")
            try db.execute(sql: "CREATE VIRTUAL TABLE entry_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')")
            return .commit
        }
        try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
    let baseline = seconds(ContinuousClock.now - t2)
    return BenchRow(
        id: "withdraw-scope", what: "withdrawal of a \(count)-entry scope at an office: hidden, then deleted down to the bytes", value: hide + delete, unit: "s",
        baseline: baseline, ratio: (hide + delete) / baseline, target: "report", met: nil,
        note: String(
            format: "hidden in %.2f s (the registry statement applied in %.2f s, then the index file caught up); deleted in %.2f s (store, index file made again, logs emptied); the plain application deletes the same entries securely in %.2f s",
            hide, hideStore, delete, baseline))
}

/// An office holds N changes another office made in a scope; a registry statement closing
/// that office's writing before them arrives late and voids them all: the entries are computed
/// again. Against applying the same changes.
func recomputation(_ options: Options, _ folder: String) throws -> BenchRow {
    let punjab = benchScopes[0]
    let central = try Store.create(at: folder + "/r-central.daftar", node: try NodeID("central"))
    let lahore = try Store.create(at: folder + "/r-lahore.daftar", node: try NodeID("fia-lahore"))
    let okara = try Store.create(at: folder + "/r-okara.daftar", node: try NodeID("fia-okara"))
    try central.writeGrant(for: lahore.node, .register(read: [punjab], write: [punjab]), as: "bench")
    try central.writeGrant(for: okara.node, .register(read: [punjab], write: []), as: "bench")
    for office in [lahore, okara] {
        try office.adoptRoot(central.node, key: try central.rootKey())
        try deliver(from: central, to: office, root: central.node)
    }
    let count = min(options.entries, 10_000)
    try Synthetic.fill(lahore, count: count, seed: 13)
    // lahore reaches okara directly, never the central node.
    let t0 = ContinuousClock.now
    try deliver(from: lahore, to: okara, root: central.node)
    try okara.updateIndex()
    let apply = seconds(ContinuousClock.now - t0)
    // The central node closes lahore's writing of punjab at the last seq it holds of lahore
    // (none): every change lahore made there is void.
    try central.writeGrant(for: lahore.node, .withdraw(punjab), as: "bench")
    try central.writeGrant(for: lahore.node, .grant(read: [punjab], write: []), as: "bench")
    let t1 = ContinuousClock.now
    try deliver(from: central, to: okara, root: central.node)
    try okara.updateIndex()
    let recompute = seconds(ContinuousClock.now - t1)
    let void = try okara.voidChains().map(\.count).reduce(0, +)
    guard void == count, try okara.count(Query()) == 0 else { throw BenchError("the registry statement voided \(void) changes, not \(count)") }
    return BenchRow(
        id: "recompute-void", what: "a late registry statement voids \(count) applied changes at an office: entries computed again, until findable", value: recompute,
        unit: "s", baseline: apply, ratio: recompute / apply, target: "report", met: nil,
        note: String(format: "%.2f s against %.2f s to apply the same changes", recompute, apply))
}

/// A hub holding 3 scopes of 1,000 origins (3,000 chains) syncs with the central node when
/// nothing is new, over a real server on a loopback port: the bytes both ways and the time of a
/// whole sync, with knowledge as digests per scope against knowledge sent whole (the baseline),
/// alternating, median of 7 each.
func knowledgeBytes(_ folder: String) async throws -> [BenchRow] {
    let central = try Store.create(at: folder + "/knowledge-central.daftar", node: try NodeID("central"))
    let hub = try Store.create(at: folder + "/knowledge-hub.daftar", node: try NodeID("punjab-hub"))
    let scopes = Array(benchScopes.prefix(3))
    try central.writeGrant(for: hub.node, .register(read: Set(scopes), write: []), as: "bench")
    let token = try central.registerPeer(hub.node, role: .relay)
    // 1,000 origins, one change in each of the 3 scopes (their chains), made here and applied at
    // the central node as if they had synced there.
    var changes: [Change] = []
    for n in 0..<1000 {
        let origin = try NodeID("fia-office-\(n)")
        for (k, scope) in scopes.enumerated() {
            let dot = Dot(origin: origin, seq: UInt64(k + 1))
            changes.append(
                try Change(
                    dot: dot, record: RecordID(dot), kind: try Kind("incident"), operation: .add, fields: [try FieldName("title"): .text("report \(n)-\(k)")],
                    vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000 + UInt64(n)), officer: "bench", wallTime: 1_780_000_000_000, scope: scope,
                    prev: .start))
        }
    }
    var at = 0
    while at < changes.count {
        let batch = Array(changes[at..<min(changes.count, at + 3000)])
        let report = try central.apply(batch, senderKnowledge: Knowledge(), mayApply: { _ in true }, takesScope: { _ in true })
        guard report.stop == nil else { throw BenchError("the central node stopped applying: \(String(describing: report.stop))") }
        at += batch.count
    }
    return try await withLiveServer(central) { url in
        let remote = Remote(name: "central", url: url, token: token)
        try hub.saveRemote(remote)
        func syncOnce(digests: Bool, encoding: SyncClient.Encoding = .compact) async throws -> (bytes: Int, seconds: Double, summary: SyncSummary) {
            guard let current = try hub.remotes().first else { throw BenchError("the hub lost its remote") }
            let client = try SyncClient(store: hub, remote: current, encoding: encoding, knowledgeDigests: digests)
            let start = ContinuousClock.now
            let summary = try await client.sync()
            let t = seconds(ContinuousClock.now - start)
            await client.shutdown()
            return (summary.progress.sentBytes + summary.progress.receivedBytes, t, summary)
        }
        let first = try await syncOnce(digests: true)
        guard first.summary.progress.receivedChanges >= 3000, first.summary.complete else {
            throw BenchError("the hub's first sync received \(first.summary.progress.receivedChanges) changes")
        }
        let chains = try hub.knowledge().entries.count
        // Settle: the record of both kinds is the hub's knowledge as it is.
        _ = try await syncOnce(digests: false)
        _ = try await syncOnce(digests: true)
        var withDigests: [(Int, Double)] = []
        var whole: [(Int, Double)] = []
        for run in 0..<14 {
            let r = try await syncOnce(digests: run % 2 == 0)
            guard r.summary.complete, r.summary.progress.receivedChanges == 0 else { throw BenchError("a steady sync was not one: \(r.summary)") }
            if run % 2 == 0 { withDigests.append((r.bytes, r.seconds)) } else { whole.append((r.bytes, r.seconds)) }
        }
        var jsonDigests: [Double] = []
        var jsonWhole: [Double] = []
        for run in 0..<6 {
            let r = try await syncOnce(digests: run % 2 == 0, encoding: .json)
            if run % 2 == 0 { jsonDigests.append(Double(r.bytes)) } else { jsonWhole.append(Double(r.bytes)) }
        }
        let bytes = (median(withDigests.map { Double($0.0) }), median(whole.map { Double($0.0) }))
        let times = (median(withDigests.map(\.1)), median(whole.map(\.1)))
        return [
            BenchRow(
                id: "knowledge-bytes", what: "bytes both ways of a sync with nothing new, a hub holding \(chains) chains (3 scopes of 1,000 origins)", value: bytes.0,
                unit: "bytes", baseline: bytes.1, ratio: bytes.0 / bytes.1, target: "report", met: nil,
                note: String(format: "digests per scope with only what changed, against knowledge whole both ways (median of 7 each, alternating); first sync %d bytes", first.bytes)),
            BenchRow(
                id: "knowledge-bytes-json", what: "the same sync with JSON bodies", value: median(jsonDigests), unit: "bytes", baseline: median(jsonWhole),
                ratio: median(jsonDigests) / median(jsonWhole), target: "report", met: nil, note: "median of 3 each, alternating"),
            BenchRow(
                id: "knowledge-sync", what: "time of that sync (nothing new, \(chains) chains), over a loopback port", value: times.0, unit: "s", baseline: times.1,
                ratio: times.0 / times.1, target: "ratio <= 1", met: times.0 <= times.1,
                note: "with digests against knowledge whole (median of 7 each, alternating)"),
        ]
    }
}
