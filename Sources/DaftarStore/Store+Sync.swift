public import DaftarModel
import Foundation
internal import GRDB

extension Store {
    /// Compares a peer's knowledge with this store's history: for each chain this store holds at
    /// least as far as the peer, the peer's hash at its seq must be this store's hash at that seq.
    /// Hashes chain, so that covers the whole shared prefix. Forks found are remembered.
    @discardableResult
    public func detectForks(against peer: Knowledge) throws(StoreError) -> [ForkReport] {
        let found: [ForkReport] = try read { db in try Self.forks(db, peer: peer) }
        if !found.isEmpty { try remember(found) }
        return found
    }

    static func forks(_ db: Database, peer: Knowledge) throws -> [ForkReport] {
        let mine = try Ledger.loadKnowledge(db)
        var found: [ForkReport] = []
        for (chain, theirs) in peer.entries.sorted(by: { $0.key < $1.key }) {
            let origin = chain.origin
            guard let held = mine.entries[chain], held.seq >= theirs.seq, theirs.seq > 0 else { continue }
            let local: ContentHash
            if held.seq == theirs.seq {
                local = held.hash
            } else {
                guard let data = try Data.fetchOne(db, sql: "SELECT substr(body, -32) FROM change WHERE origin = ? AND seq = ?", arguments: [origin.rawValue, Int64(theirs.seq)]) else { continue }
                local = try ContentHash(bytes: [UInt8](data))
            }
            if local != theirs.hash {
                found.append(ForkReport(dot: Dot(origin: origin, seq: theirs.seq), localHash: local, remoteHash: theirs.hash, scope: chain.scope))
            }
        }
        return found
    }

    private func remember(_ forks: [ForkReport]) throws(StoreError) {
        let now = Int64(options.wallClock())
        try writeTransaction { db in
            for fork in forks { try Self.remember(fork, db, now: now) }
        }
    }

    /// Keeps a fork shown by a peer's knowledge of its own chains (no proof; see `apply`'s
    /// `vouchesFor`), for the chain the knowledge names.
    static func remember(_ fork: ForkReport, _ db: Database, now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO fork (origin, scope, seq, local_hash, remote_hash, detected_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, scope) DO UPDATE SET seq = min(seq, excluded.seq),
                  local_hash = CASE WHEN excluded.seq < seq THEN excluded.local_hash ELSE local_hash END,
                  remote_hash = CASE WHEN excluded.seq < seq THEN excluded.remote_hash ELSE remote_hash END
                WHERE proof IS NULL
                """,
            arguments: [fork.dot.origin.rawValue, fork.scope?.rawValue ?? "", Int64(fork.dot.seq), Data(fork.localHash.bytes), Data(fork.remoteHash.bytes), now])
    }

    /// The unresolved forks this store knows of, a row per refused chain (a fork kept without a
    /// proof, per origin, has no scope).
    public func knownForks() throws(StoreError) -> [ForkReport] {
        try read { db in try Self.knownForks(db) }
    }

    static func knownForks(_ db: Database) throws -> [ForkReport] {
        try Row.fetchAll(db, sql: "SELECT origin, scope, seq, local_hash, remote_hash, proof FROM fork ORDER BY origin, scope").map { row in
            let scope = row["scope"] as String
            return ForkReport(
                dot: Dot(origin: try NodeID(row["origin"] as String), seq: UInt64(row["seq"] as Int64)),
                localHash: try ContentHash(bytes: [UInt8](row["local_hash"] as Data)),
                remoteHash: try ContentHash(bytes: [UInt8](row["remote_hash"] as Data)),
                scope: scope.isEmpty ? nil : try Scope(scope), proven: (row["proof"] as Data?) != nil)
        }
    }

    /// The chains whose changes are refused for a fork.
    static func forkedChains(_ db: Database) throws -> ForkedChains {
        var forked = ForkedChains()
        for fork in try knownForks(db) { forked.insert(fork) }
        return forked
    }

    /// The changes this store holds that `peer` lacks, in this store's apply order, bounded by
    /// `limits`, chain by chain: the peer holds each chain up to the seq its knowledge names.
    /// Changes of a forked origin, of an origin `mayPassOn` refuses, and every change that
    /// depends on one of those are held back (with the rest of their chain), never skipped over:
    /// the batch stays causal, and every other chain goes on.
    ///
    /// Forks found against the peer's knowledge hold that origin back from this peer; they are
    /// remembered only for origins `vouchesFor` accepts (the peer's own, or any for a relay), so a
    /// peer cannot block an origin here with a made-up hash.
    ///
    /// Chains of a scope `scopes` refuses are not for this peer at all: neither read nor named.
    public func changes(
        missingFrom peer: Knowledge, limits: BatchLimits = BatchLimits(), mayPassOn: (NodeID) -> Bool = { _ in true },
        vouchesFor: (NodeID) -> Bool = { _ in true }, scopes: (Scope) -> Bool = { _ in true }
    ) throws(StoreError) -> OutgoingBatch {
        let (batch, newForks) = try read { db -> (OutgoingBatch, [ForkReport]) in
            let forks = try Self.forks(db, peer: peer)
            let mine = try Ledger.loadKnowledge(db)
            var forked = try Self.forkedChains(db)
            for fork in forks { forked.insert(fork) }
            var blocked: [Chain: UInt64] = [:]  // chain -> lowest seq held back
            var batch = OutgoingBatch(changes: [], encoded: [], hasMore: false, heldBack: [], forks: forks)
            // Where to start: the earliest apply position of a change the peer lacks. A chain's
            // changes are applied in seq order, so its first missing one is its lowest seq above
            // the peer's. Chains this store may not pass on to the peer are held back from there,
            // known from knowledge alone: the scan below neither starts at them nor reads their
            // changes, and what depends on them is held back as it is met.
            var start: Int64?
            for (chain, held) in mine.entries.sorted(by: { $0.key < $1.key }) where held.seq > peer[chain] && !forked.contains(chain) && scopes(chain.scope) {
                let first = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT c.ord, c.seq FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq > ? AND r.scope = ? ORDER BY c.seq LIMIT 1"),
                    arguments: [chain.origin.rawValue, Int64(peer[chain]), chain.scope.rawValue])
                guard let first else { continue }
                if !mayPassOn(chain.origin) {
                    let seq = UInt64(first["seq"] as Int64)
                    blocked[chain] = seq
                    batch.heldBack.append(Dot(origin: chain.origin, seq: seq))
                    continue
                }
                start = min(start ?? first["ord"], first["ord"])
            }
            guard let start else { return (batch, forks) }
            var bytes = 0
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT c.origin, c.seq, c.body, c.signature, r.scope FROM change c JOIN record r ON r.num = c.record WHERE c.ord >= ? ORDER BY c.ord",
                arguments: [start])
            while let row = try cursor.next() {
                let chain = Chain(try NodeID(row["origin"] as String), try Scope(row["scope"] as String))
                let seq = UInt64(row["seq"] as Int64)
                guard seq > peer[chain], !forked.contains(chain), blocked[chain] == nil, scopes(chain.scope) else { continue }
                let body = [UInt8](row["body"] as Data)
                var change = try Change(canonical: body)
                if let signature = row["signature"] as Data? { change.signature = try ChangeSignature(stored: [UInt8](signature)) }
                let dependsOnBlocked = change.vector.entries.contains { entry in
                    entry.node != chain.origin && (forked.contains(Chain(entry.node, chain.scope)) || blocked[Chain(entry.node, chain.scope)].map { entry.seq >= $0 } ?? false)
                }
                if dependsOnBlocked || !mayPassOn(chain.origin) {
                    blocked[chain] = seq
                    batch.heldBack.append(change.dot)
                    continue
                }
                if batch.changes.count == limits.maxCount || bytes + body.count > limits.maxBytes {
                    batch.hasMore = true
                    break
                }
                bytes += body.count
                batch.changes.append(change)
                batch.encoded.append(body)
            }
            if batch.hasMore { try Self.endAtSignatures(&batch, db) }
            return (batch, forks)
        }
        let kept = newForks.filter { vouchesFor($0.dot.origin) }
        if !kept.isEmpty { try remember(kept) }
        return batch
    }

    /// A batch cut by its limits ends each chain at a signature (DESIGN promise 16: a sender
    /// never splits a signed run across batches): a chain whose last change in the batch is
    /// unsigned, while this store holds a signed change of it further on, is cut back to its last
    /// signed change in the batch (or whole, when none is in it), and so is whatever depends on
    /// what was cut. A chain with no signature further on (changes held from before signatures)
    /// is left as it is, and so is a batch the cuts would empty.
    static func endAtSignatures(_ batch: inout OutgoingBatch, _ db: Database) throws {
        var last: [Chain: Int] = [:]
        for (i, change) in batch.changes.enumerated() { last[change.chain] = i }
        var cutFrom: [Chain: UInt64] = [:]
        for (chain, i) in last where batch.changes[i].signature == nil {
            let change = batch.changes[i]
            let signedLater = try Bool.fetchOne(
                db.cachedStatement(
                    sql: "SELECT 1 FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq > ? AND c.signature IS NOT NULL AND r.scope = ? LIMIT 1"),
                arguments: [chain.origin.rawValue, Int64(change.dot.seq), chain.scope.rawValue]) ?? false
            guard signedLater else { continue }
            // Cut from the first change after the chain's last signed one in the batch; a chain
            // with no signature in the batch is cut whole (it leads the next batch, where its
            // run fits).
            if let signed = batch.changes[..<i].lastIndex(where: { $0.chain == chain && $0.signature != nil }),
                let next = batch.changes[(signed + 1)...].first(where: { $0.chain == chain })
            {
                cutFrom[chain] = next.dot.seq
            } else if let first = batch.changes.first(where: { $0.chain == chain }) {
                cutFrom[chain] = first.dot.seq
            }
        }
        guard !cutFrom.isEmpty else { return }
        var kept: [Change] = []
        var keptEncoded: [[UInt8]] = []
        for (change, body) in zip(batch.changes, batch.encoded) {
            let dependsOnCut = change.vector.entries.contains { entry in
                cutFrom[Chain(entry.node, change.scope)].map { entry.seq >= $0 } ?? false
            }
            if dependsOnCut || cutFrom[change.chain].map({ change.dot.seq >= $0 }) ?? false {
                cutFrom[change.chain] = min(cutFrom[change.chain] ?? change.dot.seq, change.dot.seq)
                continue
            }
            kept.append(change)
            keptEncoded.append(body)
        }
        // Nothing left (a run longer than the batch, held from before signatures or asked for
        // in batches smaller than a run): the batch goes as it was, rather than nothing ever.
        guard !kept.isEmpty else { return }
        batch.changes = kept
        batch.encoded = keptEncoded
    }

    /// Applies a batch from elsewhere in one transaction: every change is checked first (any
    /// invalid change refuses the whole batch, changing nothing); then each chain is applied as
    /// far as its dependencies are held. A change that cannot be applied (it waits for a change
    /// not held, or is refused) holds back the rest of its chain, and whatever depends on it;
    /// every other chain goes on. The report says where and why each chain stopped.
    /// Changes already held are skipped, so applying a batch twice changes nothing.
    ///
    /// - Parameters:
    ///   - senderKnowledge: the sender's knowledge, compared first to find forks.
    ///   - mayApply: whether the sender may pass on changes of an origin.
    ///   - takesScope: whether this store takes changes of a scope from this sender (a server:
    ///     the scopes the client may read). Whatever it says, a store takes only the scopes it
    ///     holds (``heldScopes()``).
    ///   - fromRoot: whether the sender is the central node itself, in a direct exchange: the
    ///     registry's statements are taken from it alone.
    ///   - vouchesFor: at a store that knows no root (and so verifies nothing), whether a fork
    ///     the sender's knowledge shows of an origin is kept (by default, as `mayApply`); a store
    ///     that verifies signatures keeps a fork only with its proof.
    public func apply(
        _ changes: [Change], senderKnowledge: Knowledge? = nil, mayApply: (NodeID) -> Bool = { _ in true },
        takesScope: (Scope) -> Bool = { _ in true }, fromRoot: Bool = false, vouchesFor: ((NodeID) -> Bool)? = nil
    ) throws(StoreError) -> ApplyReport {
        func keepsForkOf(_ origin: NodeID) -> Bool { vouchesFor?(origin) ?? mayApply(origin) }
        var encoded: [[UInt8]] = []
        encoded.reserveCapacity(changes.count)
        for change in changes {
            do {
                encoded.append(try change.validate())
            } catch {
                throw StoreError(error)
            }
        }
        let wall = options.wallClock
        let drift = options.driftMilliseconds
        // Signatures are verified before the write lock is taken (DESIGN promise 16).
        let judged = changes.isEmpty ? nil : try vouches(for: changes, sizes: encoded.map(\.count))
        let vouches = judged?.verdicts
        if changes.isEmpty {
            // Nothing to apply (a pull): the write lock is taken only if a fork must be kept.
            guard let senderKnowledge else { return ApplyReport() }
            var report = ApplyReport()
            report.forks = try read { db in try Self.forks(db, peer: senderKnowledge) }
            // A store that verifies signatures keeps a fork only with its proof (exchanged as
            // signed runs, see `forkEvidence`); one that knows no root yet, as before.
            let kept = try root() == nil ? report.forks.filter { keepsForkOf($0.dot.origin) } : []
            if !kept.isEmpty { try remember(kept) }
            return report
        }
        return try writeTransaction { db in
            var report = ApplyReport()
            let now = Int64(wall())
            if let senderKnowledge {
                // Every difference is reported; only those about origins the sender may vouch for
                // (its own, or any for a relay) are kept, so a sender cannot block an origin by
                // a made-up hash.
                report.forks = try Self.forks(db, peer: senderKnowledge)
                if vouches == nil {
                    for fork in report.forks where keepsForkOf(fork.dot.origin) { try Self.remember(fork, db, now: now) }
                }
            }
            var forked = try Self.forkedChains(db)
            let ledger = try Ledger(db)
            // The run of the batch that proves the change at `index`: its header and those after
            // it in its chain, up to the first whose own signature verified here.
            var chainIndices: [Chain: [Int]]?
            func batchRun(from index: Int) throws -> SignedRun? {
                guard let judged else { return nil }
                if chainIndices == nil {
                    var found: [Chain: [Int]] = [:]
                    for (i, change) in changes.enumerated() { found[change.chain, default: []].append(i) }
                    chainIndices = found
                }
                guard let list = chainIndices?[changes[index].chain], let start = list.firstIndex(of: index) else { return nil }
                var headers: [ChangeHeader] = []
                for i in list[start...] {
                    guard let header = try changes[i].header(), headers.count < Limits.signedRunChanges else { return nil }
                    headers.append(header)
                    if judged.verified.contains(i), let signature = changes[i].signature { return try? SignedRun(headers: headers, signature: signature) }
                }
                return nil
            }
            // A fork met while applying change `index`: the change held at `local` and the
            // incoming one cannot both be the origin's. A store that verifies signatures keeps it
            // only with its proof, for the chains it names; one that knows no root yet (and so
            // verifies nothing) keeps it for the chain, as before signatures.
            func forkFound(at dot: Dot, local: Dot, localHash: ContentHash, remoteHash: ContentHash? = nil, incoming index: Int) throws -> ForkReport {
                let chain = changes[index].chain
                let unproven = ForkReport(dot: dot, localHash: localHash, remoteHash: remoteHash ?? changes[index].hash, scope: chain.scope)
                guard vouches != nil else {
                    try Self.remember(unproven, db, now: now)
                    forked.insert(unproven)
                    return unproven
                }
                guard let mine = try Self.signedRun(db, covering: local), let theirs = try batchRun(from: index),
                    let proof = try? ForkProof(mine, theirs), let kept = try Self.keep(proof, db, now: now), !kept.isEmpty
                else { return unproven }
                for fork in kept { forked.insert(fork) }
                return kept.first { $0.scope == chain.scope } ?? kept[0]
            }
            var keyForked = try Self.blockedByKeyFork(db, ledger: ledger)
            let conflictsBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE conflict = 1") ?? 0
            var skews: [NodeID: SkewReport] = [:]
            var skewedRecords: [NodeID: Set<Int64>] = [:]
            var stopped: Set<Chain> = []
            var heldScopes = try ledger.heldScopes()
            // Registry statements first: no change of another scope depends on one (a record's
            // vector covers its own scope alone), and a grant among them may change what this
            // store takes from the rest of the batch (a scope granted again comes back at once).
            // The root's statements before the hubs' (a hub's key statement names a delegation of
            // the root).
            let order = changes.indices.filter { changes[$0].scope == .registry && changes[$0].dot.origin == ledger.root }
                + changes.indices.filter { changes[$0].scope == .registry && changes[$0].dot.origin != ledger.root }
                + changes.indices.filter { changes[$0].scope != .registry }
            for index in order {
                let change = changes[index]
                let origin = change.dot.origin
                let chain = change.chain
                func stop(_ why: ApplyStop) {
                    if report.stop == nil {
                        report.stop = why
                        report.stoppedAt = index
                    }
                    report.stops.append(why)
                    stopped.insert(chain)
                }
                let held = try ledger.heldHash(change.dot)
                if held == change.hash {
                    report.duplicates += 1
                    // A signature verified here that the copy held lacks is kept with it, so that
                    // this store can pass the run on (a change held from before signatures).
                    if let signature = change.signature, judged?.verified.contains(index) == true {
                        try ledger.run(
                            "UPDATE change SET signature = ? WHERE origin = ? AND seq = ? AND signature IS NULL",
                            [Data(signature.stored), origin.rawValue, Int64(change.dot.seq)])
                    }
                    continue
                }
                // Behind a change of its chain that could not be applied.
                if stopped.contains(chain) {
                    report.waiting += 1
                    continue
                }
                // Who may send the origin's changes comes first: a sender that may not can never
                // make this store record a fork, or anything else, about that origin.
                guard mayApply(origin) else {
                    stop(.originNotAllowed(change: change.dot))
                    continue
                }
                // Scopes: the registry from the central node alone; any other scope only if this
                // store holds it and takes it from this sender.
                if change.scope == .registry {
                    // Signed, the root's statements may come through anyone; unsigned (a store
                    // that knows no root key yet), from the root itself alone. A hub's key
                    // statements count under the root's delegation, and only signed.
                    guard fromRoot || vouches != nil, let root = ledger.root, origin == root || vouches != nil else {
                        stop(.scopeNotTaken(change: change.dot, scope: .registry))
                        continue
                    }
                    if origin == root {
                        guard [Grant.kind, KeyBinding.kind, Heartbeat.kind, Delegation.kind].contains(change.kind) else {
                            stop(.invalid(change: change.dot, reason: "it is a registry statement of kind \(change.kind), and the registry holds grants, keys, delegations and heartbeats alone in this release"))
                            continue
                        }
                    } else {
                        let judged = try Self.judgeHubStatement(change, root: root) { seq in try Self.rootChange(db, root: root, seq: seq) }
                        guard let judged else {
                            stop(.missingDependency(change: change.dot, missing: Dot(origin: root, seq: KeyBinding(fields: change.fields)?.delegation ?? 1)))
                            continue
                        }
                        guard judged.isEmpty else {
                            stop(.invalid(change: change.dot, reason: judged))
                            continue
                        }
                    }
                } else if !(heldScopes?.contains(change.scope) ?? true) || !takesScope(change.scope) {
                    stop(.scopeNotTaken(change: change.dot, scope: change.scope))
                    continue
                }
                // Its origin's signature must vouch for it; nothing else about it is recorded
                // (not even a fork) until one does.
                if let vouches {
                    switch vouches[index] {
                    case .vouched: break
                    case .unsigned:
                        stop(.unsigned(change: change.dot))
                        continue
                    case .unknownKey(let key):
                        stop(.unknownKey(change: change.dot, key: key))
                        continue
                    case .badSignature:
                        stop(.badSignature(change: change.dot))
                        continue
                    }
                }
                if let held {
                    stop(.fork(try forkFound(at: change.dot, local: change.dot, localHash: held, incoming: index)))
                    continue
                }
                // A node the registry binds to two keys: nothing more of it until the root
                // revokes its key (DESIGN promise 17); the registry's own statements go on.
                if keyForked.contains(origin), origin != ledger.root {
                    stop(.keyFork(change: change.dot))
                    continue
                }
                if forked.contains(chain) {
                    let known = try Self.knownForks(db).first { $0.dot.origin == origin && ($0.scope == nil || $0.scope == chain.scope) }
                    stop(.fork(known ?? ForkReport(dot: change.dot, localHash: .zero, remoteHash: change.hash, scope: chain.scope)))
                    continue
                }
                // Its chain: the change must follow the last one held of its origin in its scope.
                let top = ledger.knowledge.entries[chain]
                let head = top?.seq ?? 0
                if change.prev.seq > head {
                    stop(.missingDependency(change: change.dot, missing: Dot(origin: origin, seq: change.prev.seq)))
                    continue
                }
                if change.prev.seq < head {
                    // Two changes of one chain name the same prev: the origin's history forked.
                    let after = try ledger.next(in: chain, after: change.prev.seq)
                    let dot = after?.dot ?? change.dot
                    stop(.fork(try forkFound(at: dot, local: dot, localHash: after?.hash ?? .zero, incoming: index)))
                    continue
                }
                if change.prev.hash != (top?.hash ?? .zero) {
                    let dot = Dot(origin: origin, seq: head)
                    stop(.fork(try forkFound(at: dot, local: dot, localHash: top?.hash ?? .zero, remoteHash: change.prev.hash, incoming: index)))
                    continue
                }
                // Format 1 is read, never made now: a chain that went on in format 2 stays there.
                if change.format == 1, head > 0, try ledger.heldFormat(Dot(origin: origin, seq: head)) ?? 1 >= 2 {
                    stop(.invalid(change: change.dot, reason: "it is in format 1, but \(origin)'s changes before it are in format 2: format 1 is not made any more"))
                    continue
                }
                if let missing = ledger.knowledge.missingDependency(of: change.vector, in: change.scope, except: origin) {
                    stop(.missingDependency(change: change.dot, missing: missing))
                    continue
                }
                if change.operation != .add {
                    // Its dependencies are held, so the change that created the record is: the
                    // record must be there, of the same kind.
                    guard let existing = try ledger.load(change.record), existing.state.kind == change.kind else {
                        stop(.invalid(change: change.dot, reason: "it edits \(change.record) as a \(change.kind), but \(change.record) was not created as one"))
                        continue
                    }
                    guard existing.scope == change.scope else {
                        stop(.invalid(change: change.dot, reason: "it edits \(change.record) in scope \(change.scope), but \(change.record) was created in scope \(existing.scope), for life"))
                        continue
                    }
                }
                let receipt = ledger.clock.receive(change.hlc, wallMilliseconds: wall(), driftMilliseconds: drift)
                if receipt.isBeyondDrift {
                    let skew = SkewReport(dot: change.dot, skewMilliseconds: receipt.skewMilliseconds)
                    skews[origin] = max(skew, skews[origin] ?? skew)
                }
                // Only a signature verified here is kept (and passed on); the others in a run
                // its last signature covers were never checked.
                var kept = change
                if let judged, !judged.verified.contains(index) { kept.signature = nil }
                try ledger.integrate(kept, encoded: encoded[index])
                // A grant may have changed what this store holds, for the rest of the batch, and
                // a key statement may have forked a node's key, or a revocation ended a fork.
                if change.scope == .registry {
                    heldScopes = try ledger.heldScopes()
                    keyForked = try Self.blockedByKeyFork(db, ledger: ledger)
                }
                if receipt.isBeyondDrift, let num = try Self.noteSkewed(change, skewMilliseconds: receipt.skewMilliseconds, ledger: ledger) {
                    skewedRecords[origin, default: []].insert(num)
                }
                report.applied += 1
            }
            // What the clocks that ran ahead now win: values shown over concurrent ones by their
            // stamps alone.
            for origin in skews.keys {
                let wins = try Self.skewWinCount(db, origin: origin, records: skewedRecords[origin] ?? [])
                if wins > 0 { report.skewWins[origin] = wins }
            }
            try ledger.finish()
            for skew in skews.values.sorted(by: { $0.dot < $1.dot }) {
                report.skews.append(skew)
                try db.execute(
                    sql: """
                        INSERT INTO clock_warning (origin, seq, skew_ms, seen_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq, skew_ms = excluded.skew_ms, seen_at = excluded.seen_at
                        """,
                    arguments: [skew.dot.origin.rawValue, Int64(skew.dot.seq), Int64(clamping: skew.skewMilliseconds), now])
            }
            let conflictsAfter = try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE conflict = 1") ?? 0
            report.newConflicts = max(0, conflictsAfter - conflictsBefore)
            return report
        }
    }
}

extension Store {
    /// At a store that knows no root (and so verifies nothing): takes in forks a peer found (its
    /// own view: its hash as `localHash`) and keeps those this store confirms: it holds the change
    /// at the dot and its hash differs. A store that verifies keeps a fork only with its proof.
    @discardableResult
    public func confirmForks(reportedBy peer: [ForkReport]) throws(StoreError) -> [ForkReport] {
        // A store that verifies signatures keeps a fork only with its proof.
        guard !peer.isEmpty, try root() == nil else { return [] }
        let now = Int64(options.wallClock())
        return try writeTransaction { db in
            let ledger = try Ledger(db)
            var confirmed: [ForkReport] = []
            for report in peer {
                guard let mine = try ledger.heldHash(report.dot), mine != report.localHash else { continue }
                let fork = ForkReport(dot: report.dot, localHash: mine, remoteHash: report.localHash)
                try Self.remember(fork, db, now: now)
                confirmed.append(fork)
            }
            return confirmed
        }
    }
}

/// What taking another store's changes did.
public struct MergeSummary: Sendable, Hashable {
    public var applied = 0
    public var duplicates = 0
    public var newConflicts = 0
    public var batches = 0
    /// Why it stopped before holding everything the other store holds, if it did.
    public var stop: ApplyStop?
    public var forks: [ForkReport] = []
    public var skews: [SkewReport] = []
}

extension Store {
    /// Takes every change `other` holds that this store lacks, batch by batch, each batch in
    /// one transaction: for a store file brought over by hand (a colleague's laptop, a USB stick).
    /// Forks found on either side are recorded on both.
    public func merge(from other: Store, limits: BatchLimits = BatchLimits()) throws(StoreError) -> MergeSummary {
        var summary = MergeSummary()
        // Only what this node's grant lets it hold (DESIGN promise 12); never the registry,
        // whose statements come from the central node alone.
        let held = try heldScopes()
        let takes: (Scope) -> Bool = { scope in scope != .registry && (held?.contains(scope) ?? true) }
        while true {
            let outgoing = try other.changes(missingFrom: try knowledge(), limits: limits, scopes: takes)
            summary.forks += try confirmForks(reportedBy: outgoing.forks)
            if outgoing.changes.isEmpty { break }
            let report = try apply(outgoing.changes, senderKnowledge: try other.knowledge())
            try other.confirmForks(reportedBy: report.forks)
            summary.forks += report.forks
            summary.batches += 1
            summary.applied += report.applied
            summary.duplicates += report.duplicates
            summary.newConflicts += report.newConflicts
            summary.skews += report.skews
            if let stop = report.stop {
                summary.stop = stop
                break
            }
            if !outgoing.hasMore { break }
        }
        return summary
    }
}
