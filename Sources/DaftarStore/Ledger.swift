import DaftarModel
import Foundation
internal import GRDB

/// The work of one write transaction: it keeps the node's sequence, clock and knowledge in
/// memory while the transaction runs, integrates changes into the records and the indexes, and
/// writes the cursors back once at the end.
final class Ledger {
    let db: Database
    let node: NodeID
    var clock: HybridClock
    var knowledge: Knowledge
    /// The highest seq held of each origin, in any scope.
    private(set) var highest: [NodeID: UInt64] = [:]
    /// The chains this transaction added to, with how many changes each.
    private var touchedChains: [Chain: Int] = [:]
    /// Changes to the entries-per-kind counts, written once at the end.
    private var kindDeltas: [Kind: (live: Int, total: Int)] = [:]
    private let clockAtStart: HybridClock
    /// The stamp of the last local change made in this transaction.
    var lastIssued: HLC?
    /// The central node whose registry statements count here, when known.
    private(set) var root: NodeID?
    /// Where `add` puts entries when neither the command nor the grant names a scope.
    let defaultScope: Scope?
    /// The grants read in this transaction, by node (nil: none held): validity asks for them per
    /// change, and a registry change clears them.
    private var grantCache: [NodeID: Grant?] = [:]
    /// The node's key, for a transaction that makes changes: the last change of each of its
    /// chains the transaction touched is signed at ``finish()`` (DESIGN promise 16).
    var signer: SigningKey?
    /// This node's changes made in this transaction and not yet signed, per chain: the last
    /// one's dot and hash, how many and how many bytes.
    private var unsigned: [Chain: (seq: UInt64, hash: ContentHash, count: Int, bytes: Int)] = [:]

    init(_ db: Database) throws {
        self.db = db
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT node, clock, root, default_scope FROM store WHERE id = 1")) else {
            throw StoreError(.corrupt, "the store has no identity row: restore it from a backup")
        }
        node = try NodeID(row["node"] as String)
        root = try (row["root"] as String?).map { try NodeID($0) }
        defaultScope = try (row["default_scope"] as String?).map { try Scope($0) }
        var last = HLC(rawValue: UInt64(bitPattern: row["clock"] as Int64))
        knowledge = try Ledger.loadKnowledge(db)
        highest = Self.highestSeqs(knowledge)
        // Its own chains of deleted scopes still count for its next seq.
        if let kept = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(seq) FROM kept_head")) {
            highest[node] = max(highest[node] ?? 0, UInt64(kept))
        }
        // A local write leaves the clock at its own change's stamp and does not write the store
        // row (one page less per single write); that stamp is read back here.
        if let own = highest[node],
            let body = try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM change WHERE origin = ? AND seq = ?"), arguments: [node.rawValue, Int64(own)])
        {
            last = max(last, try Change(canonical: body).hlc)
        }
        clock = HybridClock(last: last)
        clockAtStart = clock
    }

    /// Makes `node` the root: the node whose registry statements count here.
    func setRoot(_ node: NodeID) throws {
        try run("UPDATE store SET root = ? WHERE id = 1", [node.rawValue])
        root = node
        grantCache = [:]
        // From now on the registry decides which changes count: every origin's are judged again.
        let origins = Set(highest.keys)
        for origin in origins.sorted() { try revalidate(origin) }
    }

    /// The grant of `node`, from its registry record (one look-up); nil when none is held.
    func grant(of node: NodeID) throws -> (id: RecordID, grant: Grant)? {
        guard root != nil,
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT r.id, r.state FROM grant_record g JOIN record r ON r.num = g.record WHERE g.node = ? AND r.deleted = 0"),
                arguments: [node.rawValue])
        else { return nil }
        guard let grant = Grant(fields: try RecordState(encoded: row["state"] as Data).values), grant.node == node else { return nil }
        return (try RecordID(row["id"] as String), grant)
    }

    /// The grant records of the registry, by the node they are about: only those the root made
    /// (the registry takes no one else's changes).
    func grantRecords() throws -> [NodeID: (id: RecordID, grant: Grant)] {
        guard let root else { return [:] }
        var found: [NodeID: (RecordID, Grant)] = [:]
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, state FROM record WHERE scope = ? AND kind = ? AND deleted = 0 ORDER BY num"),
            arguments: [Scope.registry.rawValue, Grant.kind.rawValue])
        for row in rows {
            let id = try RecordID(row["id"] as String)
            guard id.dot.origin == root, let grant = Grant(fields: try RecordState(encoded: row["state"] as Data).values) else { continue }
            if found[grant.node] == nil { found[grant.node] = (id, grant) }
        }
        return found
    }

    /// What this node may hold: nil for every scope (the root holds them all); otherwise its
    /// grant's read scopes, or, before it knows a grant, general and its default scope.
    func heldScopes() throws -> Set<Scope>? {
        if root == node { return nil }
        if let grant = try grant(of: node)?.grant { return grant.read }
        return [.general, defaultScope ?? .general]
    }

    /// Refuses a local change of seq `seq` in `scope` that this node's grant, as it knows it,
    /// does not let it write (DESIGN promise 14: such a change would be void everywhere).
    func checkMayWrite(_ scope: Scope, seq: UInt64) throws {
        if scope == .registry {
            throw StoreError(.badRequest, "the registry is written by the central node's `daftar node` commands alone")
        }
        if root == node { return }
        if let grant = try grant(of: node)?.grant {
            guard grant.mayWrite(scope, at: seq) else {
                let may = grant.writable.map(\.rawValue).sorted()
                throw StoreError(
                    .badRequest,
                    "this office may not write scope \(scope): its grant lets it write \(may.isEmpty ? "no scope" : may.joined(separator: ", ")); nothing was recorded")
            }
            return
        }
        let own = defaultScope ?? .general
        guard scope == .general || scope == own else {
            throw StoreError(
                .badRequest,
                "this office may not write scope \(scope) yet: until its first sync brings its grant it writes \(own == .general ? "general" : "\(own) and general") alone; nothing was recorded")
        }
    }

    /// Where `add` puts an entry that names no scope: the grant's one writable scope, else
    /// the store's default (`--scope` when it was made), else general.
    func scopeForNewEntries() throws -> Scope {
        let own = root == node ? nil : try grant(of: node)?.grant
        if let own, own.writable.count == 1, let only = own.writable.first { return only }
        if let defaultScope { return defaultScope }
        if let own, !own.writable.contains(.general), let first = own.writable.min() { return first }
        return .general
    }

    /// The head this node kept of its own chain of `scope` when it deleted the scope, if it did.
    func keptHead(_ scope: Scope) throws -> Knowledge.Entry? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM kept_head WHERE scope = ?"), arguments: [scope.rawValue]) else { return nil }
        return Knowledge.Entry(seq: UInt64(row["seq"] as Int64), hash: try ContentHash(bytes: [UInt8](row["hash"] as Data)))
    }

    /// Reads knowledge again, after it was rewritten by hand (fork recovery).
    func reload() throws {
        knowledge = try Ledger.loadKnowledge(db)
        highest = Self.highestSeqs(knowledge)
        if let kept = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(seq) FROM kept_head")) {
            highest[node] = max(highest[node] ?? 0, UInt64(kept))
        }
    }

    /// The highest seq `knowledge` names of each origin, in any scope.
    static func highestSeqs(_ knowledge: Knowledge) -> [NodeID: UInt64] {
        var out: [NodeID: UInt64] = [:]
        for (chain, entry) in knowledge.entries { out[chain.origin] = max(out[chain.origin] ?? 0, entry.seq) }
        return out
    }

    static func loadKnowledge(_ db: Database) throws -> Knowledge {
        var entries: [Chain: Knowledge.Entry] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, scope, seq, hash FROM knowledge")) {
            let hash = try ContentHash(bytes: [UInt8](row["hash"] as Data))
            entries[Chain(try NodeID(row["origin"] as String), try Scope(row["scope"] as String))] = Knowledge.Entry(seq: UInt64(row["seq"] as Int64), hash: hash)
        }
        return Knowledge(entries)
    }

    /// Notes a record's arrival, departure or change of deleted flag for the per-kind counts.
    func count(_ kind: Kind, live: Int, total: Int) {
        guard live != 0 || total != 0 else { return }
        let old = kindDeltas[kind] ?? (0, 0)
        kindDeltas[kind] = (old.live + live, old.total + total)
    }

    /// Writes the clock, the knowledge of every origin this transaction touched, and the counts.
    func finish() throws {
        for (chain, run) in unsigned { try sign(chain.origin, seq: run.seq, hash: run.hash) }
        unsigned = [:]
        for (kind, delta) in kindDeltas where delta.live != 0 || delta.total != 0 {
            try run(
                "INSERT INTO kind_count (kind, live, total) VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE SET live = live + excluded.live, total = total + excluded.total",
                [kind.rawValue, delta.live, delta.total])
        }
        kindDeltas = [:]
        if clock != clockAtStart, clock.last != lastIssued {
            try run("UPDATE store SET clock = ? WHERE id = 1", [Int64(bitPattern: clock.last.rawValue)])
        }
        for (chain, added) in touchedChains {
            guard let entry = knowledge.entries[chain] else { continue }
            try run(
                """
                INSERT INTO knowledge (origin, scope, seq, hash, held) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (origin, scope) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, held = held + excluded.held
                """,
                [chain.origin.rawValue, chain.scope.rawValue, Int64(entry.seq), Data(entry.hash.bytes), added])
        }
        touchedChains = [:]
    }

    /// Notes a change this node just made: it is signed when it ends the transaction's run of
    /// its chain, or sooner when the run reaches the format's limit (so that a signed run always
    /// fits in one batch).
    func noteOwn(_ change: Change, bytes: Int) throws {
        guard signer != nil else {
            throw StoreError(.badRequest, "this store's key is not at hand, so its changes cannot be signed: nothing was recorded")
        }
        var run = unsigned[change.chain] ?? (0, .zero, 0, 0)
        run = (change.dot.seq, change.hash, run.count + 1, run.bytes + bytes)
        if run.count >= Limits.signedRunChanges || run.bytes >= Limits.signedRunBytes {
            try sign(change.dot.origin, seq: change.dot.seq, hash: change.hash)
            unsigned[change.chain] = nil
        } else {
            unsigned[change.chain] = run
        }
    }

    private func sign(_ origin: NodeID, seq: UInt64, hash: ContentHash) throws {
        guard let signer else { return }
        let signature = try ChangeSignature.sign(hash, with: signer)
        try run("UPDATE change SET signature = ? WHERE origin = ? AND seq = ?", [Data(signature.stored), origin.rawValue, Int64(seq)])
    }

    /// Runs a statement prepared once per connection: these run for every change.
    func run(_ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// A record's number, merged state, scope and why it is hidden (0: it is not), or nil.
    func load(_ id: RecordID) throws -> (num: Int64, state: RecordState, scope: Scope, hidden: Hidden)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT num, state, scope, hidden FROM record WHERE id = ?"), arguments: [id.description]) else {
            return nil
        }
        return (row["num"], try RecordState(encoded: row["state"] as Data), try Scope(row["scope"] as String), Hidden(rawValue: row["hidden"]) ?? .shown)
    }

    /// Integrates a change whose dependencies are held: merges it into its record (unless it is
    /// void), appends it to the log and moves knowledge on. The search index follows the log on
    /// its own connection. The caller checked the change (validation, causal order, no fork).
    func integrate(_ change: Change, encoded body: [UInt8]) throws {
        let num: Int64
        var state: RecordState
        // A record's shown values before this change (an edit's), for a grant's before and after.
        var before: [FieldName: FieldValue]?
        let void = try isVoid(change)
        if change.operation == .add {
            state = RecordState(id: change.record, kind: change.kind)
            // An entry whose creation is void is held (for its history) but is no entry.
            let hidden: Hidden = change.scope == .registry ? .statement : void ? .voidCreation : .shown
            if !void { state.apply(change) }
            try run(
                "INSERT INTO record (id, kind, deleted, conflict, state, scope, hidden) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [change.record.description, change.kind.rawValue, state.isDeleted, state.inConflict, Data(state.encoded()), change.scope.rawValue, hidden.rawValue])
            num = db.lastInsertedRowID
            if hidden == .shown { count(change.kind, live: state.isDeleted ? 0 : 1, total: 1) }
        } else {
            guard let loaded = try load(change.record) else {
                throw StoreError(
                    .inconsistent, "change \(change.dot) edits \(change.record), which this store does not hold although it holds the change that created it: check the store with `daftar check`")
            }
            num = loaded.num
            state = loaded.state
            before = loaded.state.values
            if !void {
                state.apply(change)
                if state.isDeleted != loaded.state.isDeleted, loaded.hidden == .shown { count(state.kind, live: state.isDeleted ? -1 : 1, total: 0) }
                try run("UPDATE record SET deleted = ?, conflict = ?, state = ? WHERE num = ?", [state.isDeleted, state.inConflict, Data(state.encoded()), num])
            }
        }
        try run(
            "INSERT INTO change (origin, seq, record, body, void, signature) VALUES (?, ?, ?, ?, ?, ?)",
            [change.dot.origin.rawValue, Int64(change.dot.seq), num, Data(body), void, change.signature.map { Data($0.stored) }])
        // Key statements: the root's, and a hub's under a delegation (checked before it came here).
        if change.scope == .registry, change.operation == .add, change.kind == KeyBinding.kind, let binding = KeyBinding(fields: state.values),
            change.dot.origin == root || binding.delegation != nil
        {
            // A second key of one node, not replacing the first by a rotation: a key fork, kept
            // with both statements (DESIGN promise 17).
            let others = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT fingerprint, record FROM key_binding WHERE node = ?"), arguments: [binding.node.rawValue])
            let fingerprint = Data(binding.key.fingerprintHash.bytes)
            if !others.isEmpty, !others.contains(where: { ($0["fingerprint"] as Data) == fingerprint }),
                !(binding.replaces.map { replaced in others.contains { ($0["fingerprint"] as Data) == Data(replaced.bytes) } } ?? false)
            {
                try run(
                    "INSERT OR IGNORE INTO key_fork (node, first_record, second_record, detected_at) VALUES (?, ?, ?, ?)",
                    [binding.node.rawValue, others.map { $0["record"] as Int64 }.min()!, num, Int64(Date().timeIntervalSince1970 * 1000)])
            }
            try run(
                "INSERT OR IGNORE INTO key_binding (node, fingerprint, key, record) VALUES (?, ?, ?, ?)",
                [binding.node.rawValue, fingerprint, Data(binding.key.raw), num])
            // A rotation: the key it replaces covers the node's changes below `from` alone.
            if let replaced = binding.replaces, let from = binding.from {
                try run(
                    "UPDATE key_binding SET valid_below = min(coalesce(valid_below, ?), ?) WHERE node = ? AND fingerprint = ?",
                    [Int64(clamping: from), Int64(clamping: from), binding.node.rawValue, Data(replaced.bytes)])
            }
        }
        if change.scope == .registry, change.dot.origin == root, change.kind == Grant.kind, let grant = Grant(fields: state.values) {
            // A grant's record, found by its node from now on (the first record about a node holds).
            if change.operation == .add {
                try run("INSERT OR IGNORE INTO grant_record (node, record) VALUES (?, ?)", [grant.node.rawValue, num])
            }
            grantCache = [:]
            // Only what changed is done again: the write ranges decide which of the node's
            // changes count; this node's own read scopes decide what it shows (a scope withdrawn
            // is hidden at once, one granted again shown).
            let previous = before.flatMap { Grant(fields: $0) }
            let sameNode = previous?.node == grant.node
            if !sameNode || previous?.write != grant.write || previous?.revokedThrough != grant.revokedThrough { try revalidate(grant.node) }
            if grant.node == node, !sameNode || previous?.read != grant.read { try hideScopesNotHeld() }
        }
        knowledge.entries[change.chain] = Knowledge.Entry(seq: change.dot.seq, hash: change.hash)
        highest[change.dot.origin] = max(highest[change.dot.origin] ?? 0, change.dot.seq)
        touchedChains[change.chain, default: 0] += 1
    }

    // MARK: Void changes (DESIGN promise 14)

    /// Why a record is not an entry of the register here (the record table's `hidden`).
    enum Hidden: Int, Sendable {
        case shown = 0
        /// A registry statement.
        case statement = 1
        /// The change that created it is void.
        case voidCreation = 2
        /// Its scope was withdrawn from this node.
        case withdrawn = 3
    }

    /// The grant `node`'s changes are judged by: its registry record's, or, for a node the
    /// registry names no grant of, the grant of a node registered before grants (scope general).
    func judgingGrant(of node: NodeID) throws -> Grant {
        if let cached = grantCache[node] { return cached ?? .general(node) }
        let found = try grant(of: node)?.grant
        grantCache[node] = .some(found)
        return found ?? .general(node)
    }

    /// Whether the register counts `change` as absent: by the registry held here, its origin had
    /// no write grant on its scope at its seq. Without a registry (no root), or from the root, or
    /// in the registry itself (statements are taken from the root alone), nothing is void.
    func isVoid(_ change: Change) throws -> Bool {
        try isVoid(origin: change.dot.origin, scope: change.scope, seq: change.dot.seq)
    }

    func isVoid(origin: NodeID, scope: Scope, seq: UInt64) throws -> Bool {
        guard let root, origin != root, scope != .registry else { return false }
        return !(try judgingGrant(of: origin).mayWrite(scope, at: seq))
    }

    /// Judges every change of `origin` held here again (its grant, or the root, changed), and
    /// computes again each record one of them changed sides in.
    func revalidate(_ origin: NodeID) throws {
        var flipped: [(ord: Int64, void: Bool)] = []
        var records: [Int64] = []
        var seen = Set<Int64>()
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT c.ord, c.seq, c.void, c.record, r.scope FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND r.scope <> 'registry' ORDER BY c.seq"),
            arguments: [origin.rawValue])
        while let row = try rows.next() {
            let void = try isVoid(origin: origin, scope: try Scope(row["scope"] as String), seq: UInt64(row["seq"] as Int64))
            guard void != (row["void"] as Bool) else { continue }
            flipped.append((row["ord"], void))
            let record: Int64 = row["record"]
            if seen.insert(record).inserted { records.append(record) }
        }
        for flip in flipped { try run("UPDATE change SET void = ? WHERE ord = ?", [flip.void, flip.ord]) }
        for record in records { try recompute(record) }
    }

    /// Hides the entries of every scope this node no longer holds (withdrawn: found by no
    /// query, counted nowhere, kept until deleted) and shows again those of a scope held again.
    func hideScopesNotHeld() throws {
        let held = try heldScopes()
        let scopes = (held ?? []).map(\.rawValue) + [Scope.registry.rawValue]
        let marks = databaseQuestionMarks(count: scopes.count)
        let notHeld = held == nil ? "0" : "scope NOT IN (\(marks))"
        let isHeld = held == nil ? "1" : "scope IN (\(marks))"
        let arguments = StatementArguments(held == nil ? [] : scopes)
        // Withdrawn: out of the counts, hidden, and out of the index file.
        var leaving = 0
        for row in try Row.fetchAll(db, sql: "SELECT kind, sum(deleted = 0) AS live, count(*) AS total FROM record WHERE hidden = 0 AND \(notHeld) GROUP BY kind", arguments: arguments) {
            count(try Kind(row["kind"] as String), live: -(row["live"] as Int), total: -(row["total"] as Int))
            leaving += row["total"] as Int
        }
        let staying = try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE hidden = 0") ?? 0
        if leaving > staying - leaving {
            // Most entries leave: making the index file again from what stays is cheaper than
            // taking each one out of it.
            try db.execute(sql: "UPDATE store SET log_generation = log_generation + 1 WHERE id = 1")
        } else {
            try db.execute(sql: "INSERT INTO recomputed (record) SELECT num FROM record WHERE hidden IN (0, 2) AND \(notHeld) ORDER BY num", arguments: arguments)
        }
        try db.execute(sql: "UPDATE record SET hidden = 3 WHERE hidden IN (0, 2) AND \(notHeld)", arguments: arguments)
        // Held again: an entry whose creation is void stays hidden for that.
        let middle = try Int64.fetchOne(db, sql: "SELECT coalesce(max(pos), 0) FROM recomputed") ?? 0
        try db.execute(sql: "INSERT INTO recomputed (record) SELECT num FROM record WHERE hidden = 3 AND \(isHeld) ORDER BY num", arguments: arguments)
        try db.execute(
            sql: """
                UPDATE record SET hidden = CASE WHEN (SELECT void FROM change WHERE change.record = record.num ORDER BY ord LIMIT 1) = 1 THEN 2 ELSE 0 END
                WHERE hidden = 3 AND \(isHeld)
                """, arguments: arguments)
        for row in try Row.fetchAll(
            db,
            sql: "SELECT kind, sum(deleted = 0) AS live, count(*) AS total FROM record WHERE hidden = 0 AND num IN (SELECT record FROM recomputed WHERE pos > ?) GROUP BY kind",
            arguments: [middle])
        {
            count(try Kind(row["kind"] as String), live: row["live"], total: row["total"])
        }
    }

    /// A record computed from its changes in apply order: those that count are merged, a void
    /// one is left out (and a void creation noted). Shared by ``recompute(_:)`` and the audit.
    struct Replay {
        var state: RecordState
        var creationVoid = false

        init(_ record: RecordState) { state = RecordState(id: record.id, kind: record.kind) }

        mutating func take(_ change: Change, void: Bool) {
            guard !void else {
                if change.operation == .add { creationVoid = true }
                return
            }
            state.apply(change)
        }
    }

    /// Computes a record again from its changes that count, in apply order (which respects
    /// causality, so the merge rule gives what applying them one by one gave), and queues it for
    /// the index file.
    func recompute(_ num: Int64) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, kind, state, hidden, deleted FROM record WHERE num = ?"), arguments: [num]) else { return }
        let old = try RecordState(encoded: row["state"] as Data)
        let oldHidden = Hidden(rawValue: row["hidden"]) ?? .shown
        var replay = Replay(old)
        let changes = try Row.fetchCursor(db.cachedStatement(sql: "SELECT body, void FROM change WHERE record = ? ORDER BY ord"), arguments: [num])
        while let change = try changes.next() {
            replay.take(try Change(canonical: [UInt8](change["body"] as Data)), void: change["void"] as Bool)
        }
        let (state, creationVoid) = (replay.state, replay.creationVoid)
        var hidden = oldHidden
        if oldHidden == .shown || oldHidden == .voidCreation { hidden = creationVoid ? .voidCreation : .shown }
        let wasEntry = oldHidden == .shown
        let isEntry = hidden == .shown
        count(old.kind, live: (isEntry && !state.isDeleted ? 1 : 0) - (wasEntry && !old.isDeleted ? 1 : 0), total: (isEntry ? 1 : 0) - (wasEntry ? 1 : 0))
        try run(
            "UPDATE record SET deleted = ?, conflict = ?, state = ?, hidden = ? WHERE num = ?",
            [state.isDeleted, state.inConflict, Data(state.encoded()), hidden.rawValue, num])
        try run("INSERT INTO recomputed (record) VALUES (?)", [num])
    }

    /// The format of the change held at `dot` (its canonical form's first byte), or nil.
    func heldFormat(_ dot: Dot) throws -> UInt8? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT substr(body, 1, 1) FROM change WHERE origin = ? AND seq = ?"), arguments: [dot.origin.rawValue, Int64(dot.seq)])?.first
    }

    /// The hash of the change at `dot`, when held (in any scope).
    func heldHash(_ dot: Dot) throws -> ContentHash? {
        guard let top = highest[dot.origin], top >= dot.seq else { return nil }
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT substr(body, -32) FROM change WHERE origin = ? AND seq = ?"), arguments: [dot.origin.rawValue, Int64(dot.seq)]) else {
            return nil
        }
        return try ContentHash(bytes: [UInt8](data))
    }

    /// The first change held of `chain` after seq `after`: the one that names `after` as its prev.
    func next(in chain: Chain, after seq: UInt64) throws -> (dot: Dot, hash: ContentHash)? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT c.seq, substr(c.body, -32) AS hash FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq > ? AND r.scope = ? ORDER BY c.seq LIMIT 1"),
            arguments: [chain.origin.rawValue, Int64(seq), chain.scope.rawValue])
        guard let row else { return nil }
        return (Dot(origin: chain.origin, seq: UInt64(row["seq"] as Int64)), try ContentHash(bytes: [UInt8](row["hash"] as Data)))
    }
}
