import DaftarModel
import DaftarStore
import DaftarSync
import DaftarTesting
import Foundation
import GRDB

/// 100,000 changes made at one store, decoded, then applied at another in batches of 5,000 (as
/// a sync does), against a plain application inserting the same rows in the same transactions.
func applyBench(_ options: Options) throws -> [BenchRow] {
    let n = options.entries
    let folder = options.folder + "/daftar-bench-apply-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let source = try Store.create(at: folder + "/source.daftar", node: try NodeID("fia-lahore"))
    try Synthetic.fill(source, count: n, seed: 5)
    var changes: [Change] = []
    var cursor = Knowledge()
    while true {
        let batch = try source.changes(missingFrom: cursor, limits: BatchLimits(maxCount: 5000))
        if batch.changes.isEmpty { break }
        changes += batch.changes
        for c in batch.changes { cursor.entries[c.chain] = Knowledge.Entry(seq: c.dot.seq, hash: c.hash) }
    }
    var daftarTimes: [Double] = []
    var plainTimes: [Double] = []
    var catchUps: [Double] = []
    for run in 0..<3 {
        let target = try Store.create(at: folder + "/target-\(run).daftar", node: try NodeID("central"))
        let plain = try PlainBaseline(path: folder + "/plain-\(run).sqlite")
        let (d, p) = try alternating(run: run) {
            let d = try timeInBatches(count: changes.count, size: 5000) { batch in
                let report = try target.apply(Array(changes[batch]))
                guard report.applied == batch.count else { throw BenchError("apply stopped: \(String(describing: report.stop))") }
            }
            let t = ContinuousClock.now
            try target.updateIndex()
            catchUps.append(seconds(ContinuousClock.now - t))
            return d
        } _: {
            try timeInBatches(count: changes.count, size: 5000) { batch in
                try plain.write { db in for c in changes[batch] { try plain.insert(db, kind: c.kind, fields: c.fields) } }
            }
        }
        daftarTimes.append(d)
        plainTimes.append(p)
    }
    // Judged on the apply and the index work every later find waits for.
    let d = median(zip(daftarTimes, catchUps).map { $0 + $1 })
    let p = median(plainTimes)
    return [
        BenchRow(
            id: "apply", what: "apply \(n) decoded changes, 5,000 per transaction, until findable", value: d, unit: "s", baseline: p, ratio: d / p, target: "ratio <= 2",
            met: d / p <= 2,
            note: String(
                format: "counting the index work a find waits for (a median %.2f s after the last batch); the applies alone: %.2f s, ratio %.2f", median(catchUps),
                median(daftarTimes), median(daftarTimes) / p))
    ]
}

/// Encoding and decoding of 100,000 change-sized objects, JSON and compact.
func codecBench(_ options: Options) throws -> [BenchRow] {
    let n = options.entries
    var rng = SplitMix(state: 9)
    let node = try NodeID("fia-lahore")
    var previous = ContentHash.zero
    var changes: [Change] = []
    changes.reserveCapacity(n)
    for i in 0..<n {
        let dot = Dot(origin: node, seq: UInt64(i + 1))
        let change = try Change(
            dot: dot, record: RecordID(dot), kind: Synthetic.kinds[i % Synthetic.kinds.count], operation: .add, fields: Synthetic.fields(i, &rng),
            vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000 + UInt64(i)), officer: "bench", wallTime: 1_780_000_000_000,
            prev: ChainLink(seq: UInt64(i), hash: previous))
        previous = change.hash
        changes.append(change)
    }
    let request = SyncRequest(node: node, knowledge: Knowledge(), changes: changes)
    var rows: [BenchRow] = []
    var times: [String: [Double]] = [:]
    var jsonData = Data()
    var compactData = Data()
    for _ in 0..<3 {
        var t = ContinuousClock.now
        jsonData = try JSONEncoder().encode(request)
        times["json-encode", default: []].append(seconds(ContinuousClock.now - t))
        t = ContinuousClock.now
        let decoded = try JSONDecoder().decode(SyncRequest.self, from: jsonData)
        times["json-decode", default: []].append(seconds(ContinuousClock.now - t))
        guard decoded.changes.count == n else { throw BenchError("JSON round trip lost changes") }
        t = ContinuousClock.now
        var header = request
        header.changes = []
        compactData = try CompactCodec.encode(header, changes: changes.map { try $0.canonicalEncoding() })
        times["compact-encode", default: []].append(seconds(ContinuousClock.now - t))
        t = ContinuousClock.now
        let (_, back) = try CompactCodec.decode(SyncRequest.self, from: compactData)
        for change in back { _ = try change.validate() }  // a receiver checks every hash
        times["compact-decode", default: []].append(seconds(ContinuousClock.now - t))
        guard back.count == n else { throw BenchError("compact round trip lost changes") }
    }
    for key in ["json-encode", "json-decode", "compact-encode", "compact-decode"] {
        let rate = Double(n) / median(times[key]!)
        let size = key.hasPrefix("json") ? jsonData.count : compactData.count
        rows.append(
            BenchRow(
                id: "codec-\(key)", what: "\(n) changes, \(size / n) bytes each", value: rate, unit: "changes/s", baseline: nil, ratio: nil, target: "report", met: nil,
                note: key == "compact-decode" ? "compact decode includes recomputing every change's hash" : nil))
    }
    return rows
}
