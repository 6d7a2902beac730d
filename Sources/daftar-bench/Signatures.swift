import DaftarClient
import DaftarModel
import DaftarStore
import DaftarTesting
import Dispatch
import Foundation

/// What signed chains cost (DESIGN promise 16): signing and verifying one signature, the sync hop
/// of one office's changes into a central node that verifies against one that does not, and a
/// pull of 100,000 changes made one per transaction by 1,000 offices (a signature on every
/// change) into a store that verifies against one that does not. Each pair runs in the same
/// process, alternating which goes first.
func signatureBench(_ options: Options) async throws -> [BenchRow] {
    var rows: [BenchRow] = []
    let folder = options.folder + "/daftar-bench-signatures-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }

    // One signature, made and verified, on one core.
    let key = SigningKey()
    let hashes = try (0..<20_000).map { i in try ContentHash(bytes: SHA256.hash(Array("change \(i)".utf8))) }
    var t = ContinuousClock.now
    let signatures = try hashes.map { try ChangeSignature.sign($0, with: key) }
    let signSeconds = seconds(ContinuousClock.now - t)
    t = ContinuousClock.now
    var good = 0
    for (signature, hash) in zip(signatures, hashes) where signature.verifies(hash, with: key.publicKey) { good += 1 }
    let verifySeconds = seconds(ContinuousClock.now - t)
    guard good == hashes.count else { throw BenchError("\(hashes.count - good) signatures did not verify") }
    rows.append(
        BenchRow(
            id: "sign-per-change", what: "one Ed25519 signature of a change's hash", value: signSeconds / Double(hashes.count) * 1e6, unit: "µs",
            baseline: nil, ratio: nil, target: "report", met: nil,
            note: "made at the end of each transaction, once per chain it touched (and every 256 changes)"))
    rows.append(
        BenchRow(
            id: "verify-per-core", what: "signatures verified per second on one core", value: Double(hashes.count) / verifySeconds, unit: "signatures/s",
            baseline: nil, ratio: nil, target: "report", met: nil, note: "verification runs on every core, outside the apply transaction"))

    // The sync hop: one office's changes into a central node that verifies (it is the root and
    // bound the office's key) and into one that does not (no root).
    let entries = options.entries
    let office = try Store.create(at: folder + "/office.daftar", node: try NodeID("fia-lahore"))
    try Synthetic.fill(office, count: entries, seed: 11)
    try office.updateIndex()
    var verified: [Double] = []
    var plain: [Double] = []
    for run in 0..<max(1, min(options.repeats, 3)) {
        func hop(verifying: Bool) async throws -> Double {
            let path = folder + "/central-\(run)-\(verifying).daftar"
            let central = try Store.create(at: path, node: try NodeID("central-\(run)-\(verifying ? "v" : "p")"))
            if verifying {
                try central.writeGrant(for: office.node, .register(read: [.general], write: [.general]), as: "bench")
                _ = try central.bindKey(of: office.node, try office.publicKey()!, as: "bench")
            }
            return try await withLiveServer(central) { url in
                let remote = Remote(name: "central-\(run)-\(verifying)", url: url, token: try central.registerPeer(office.node, role: .office))
                let client = try SyncClient(store: office, remote: remote)
                let t0 = ContinuousClock.now
                let summary = try await client.sync(receive: false)
                let took = seconds(ContinuousClock.now - t0)
                await client.shutdown()
                guard summary.progress.sentChanges == entries else { throw BenchError("the hop carried \(summary.progress.sentChanges) of \(entries) changes") }
                return took
            }
        }
        let (v, p) = try await alternatingAsync(run: run) { try await hop(verifying: true) } _: { try await hop(verifying: false) }
        verified.append(v)
        plain.append(p)
    }
    func med(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    let hopRatio = med(zip(verified, plain).map { $0 / $1 })
    rows.append(
        BenchRow(
            id: "sync-hop-verified", what: "\(entries) changes of one office into a central node that verifies its signatures", value: Double(entries) / med(verified),
            unit: "changes/s", baseline: Double(entries) / med(plain), ratio: hopRatio, target: "ratio <= 1.10", met: hopRatio <= 1.10,
            note: "ratio is time over the same hop into a central node that verifies nothing (no root), median of the runs"))

    // A pull of 100,000 changes made one per transaction by 1,000 offices: every change signed.
    let origins = 1000
    let perOrigin = 100
    let source = try Store.create(at: folder + "/hub.daftar", node: try NodeID("punjab-hub"))
    var keys: [(NodeID, SigningKey)] = []
    for o in 0..<origins {
        let node = try NodeID("office-\(o)")
        let signer = SigningKey()
        keys.append((node, signer))
        var batch: [Change] = []
        var prev = ChainLink.start
        for s in 1...perOrigin {
            let dot = Dot(origin: node, seq: UInt64(s))
            var change = try Change(
                dot: dot, record: RecordID(dot), kind: Synthetic.kinds[s % Synthetic.kinds.count], operation: .add,
                fields: [try FieldName("note"): .text("entry \(s) of office \(o)")], vector: VersionVector(dot),
                hlc: HLC(milliseconds: 1_780_000_000_000 + UInt64(s)), officer: "SI \(o)", wallTime: 1_780_000_000_000 + Int64(s), prev: prev)
            change.signature = try ChangeSignature.sign(change.hash, with: signer)
            prev = ChainLink(seq: dot.seq, hash: change.hash)
            batch.append(change)
        }
        _ = try source.apply(batch)
    }
    let pulled = origins * perOrigin
    var pullVerified: [Double] = []
    var pullPlain: [Double] = []
    for run in 0..<max(1, min(options.repeats, 3)) {
        func pull(verifying: Bool) async throws -> Double {
            let receiver = try Store.create(at: folder + "/receiver-\(run)-\(verifying).daftar", node: try NodeID("receiver-\(run)-\(verifying ? "v" : "p")"))
            if verifying {
                // The receiver is the root and holds every office's key statement.
                try receiver.writeGrant(for: try NodeID("office-0"), .register(read: [.general], write: [.general]), as: "bench")
                for (node, signer) in keys { _ = try receiver.bindKey(of: node, signer.publicKey, as: "bench") }
            }
            return try await withLiveServer(source) { url in
                let remote = Remote(name: "hub-\(run)-\(verifying)", url: url, token: try source.registerPeer(receiver.node, role: .relay))
                let client = try SyncClient(store: receiver, remote: remote)
                let t0 = ContinuousClock.now
                let summary = try await client.sync()
                let took = seconds(ContinuousClock.now - t0)
                await client.shutdown()
                guard summary.progress.receivedChanges == pulled else {
                    throw BenchError("the pull took \(summary.progress.receivedChanges) of \(pulled) changes: \(String(describing: summary.localStop))")
                }
                return took
            }
        }
        let (v, p) = try await alternatingAsync(run: run) { try await pull(verifying: true) } _: { try await pull(verifying: false) }
        pullVerified.append(v)
        pullPlain.append(p)
    }
    let pullRatio = med(zip(pullVerified, pullPlain).map { $0 / $1 })
    rows.append(
        BenchRow(
            id: "pull-1000-origins-verified", what: "\(pulled) changes made one per transaction by \(origins) offices, pulled into a store that verifies every signature",
            value: Double(pulled) / med(pullVerified), unit: "changes/s", baseline: Double(pulled) / med(pullPlain), ratio: pullRatio, target: "ratio <= 1.25",
            met: pullRatio <= 1.25,
            note: String(
                format: "ratio is time over the same pull into a store that verifies nothing (no root); %d signatures verified per pull, median of the runs",
                pulled)))
    return rows
}

func alternatingAsync(run: Int, _ measured: () async throws -> Double, _ baseline: () async throws -> Double) async throws -> (Double, Double) {
    if run % 2 == 0 {
        let m = try await measured()
        return (m, try await baseline())
    }
    let b = try await baseline()
    return (try await measured(), b)
}
