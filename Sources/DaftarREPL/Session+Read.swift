import DaftarModel
import DaftarStore
import Foundation

/// JSON forms of results, documented in the README.
struct EntryJSON: Encodable {
    var id: String
    var kind: String
    var deleted: Bool
    var conflict: Bool
    var fields: [String: FieldValue]

    init(_ record: RecordState) {
        id = record.id.description
        kind = record.kind.rawValue
        deleted = record.isDeleted
        conflict = record.inConflict
        fields = Dictionary(uniqueKeysWithValues: record.values.map { ($0.key.rawValue, $0.value) })
    }
}

struct ValueJSON: Encodable {
    var value: FieldValue
    var dot: String
    var office: String
    var officer: String?
    var time: String?
}

struct ShowJSON: Encodable {
    var id: String
    var kind: String
    var scope: String
    var deleted: Bool
    var conflict: Bool
    var fields: [String: [ValueJSON]]
    var deletedValues: [ValueJSON]
    var vector: VersionVector
}

struct ChangeJSON: Encodable {
    var dot: String
    var office: String
    var officer: String
    var time: String
    var operation: String
    var fields: [String: FieldValue]
    /// True for a void change (held, computed as if absent); left out otherwise.
    var void: Bool? = nil
}

struct ListJSON: Encodable {
    var entries: [EntryJSON]
    var more: Int
}

extension Session {
    static let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A time for scripts: ISO 8601 in UTC, with milliseconds.
    func isoTime(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(Self.iso)
    }

    func show(_ id: RecordID) throws -> Output {
        guard let record = try store.record(id), let scope = try store.scope(of: id) else { throw StoreError(.unknownRecord, "no entry \(id)") }
        var changes: [Dot: Change] = [:]
        func change(_ dot: Dot) throws -> Change? {
            if let c = changes[dot] { return c }
            let c = try store.change(at: dot)
            changes[dot] = c
            return c
        }
        func valueJSON(_ entry: FieldEntry) throws -> ValueJSON {
            let c = try change(entry.dot)
            return ValueJSON(value: entry.value, dot: entry.dot.description, office: entry.dot.origin.rawValue, officer: c?.officer, time: c.map { isoTime($0.wallTime) })
        }
        let names = record.fields.keys.sorted().filter { name in
            let register = record.fields[name]!
            return !(register.entries.count == 1 && register.value.isNull)
        }
        if json {
            var fields: [String: [ValueJSON]] = [:]
            for name in names { fields[name.rawValue] = try record.fields[name]!.entries.map(valueJSON) }
            return Output(
                text: encode(
                    ShowJSON(
                        id: id.description, kind: record.kind.rawValue, scope: scope.rawValue, deleted: record.isDeleted, conflict: record.inConflict, fields: fields,
                        deletedValues: try record.deleted.entries.map(valueJSON), vector: record.vector)))
        }
        var table = Table(header: ["field", "value", "officer", "office", "time"], width: terminalWidth, wrapping: [1])
        for name in names {
            let register = record.fields[name]!
            for (i, entry) in register.entries.enumerated() {
                let c = try change(entry.dot)
                let label = i == 0 ? name.rawValue + (register.inConflict ? " ≠" : "") : "  ↳ also"
                let value = entry.value.isNull ? "(unset)" : entry.value.displayText
                table.rows.append([label, value, c?.officer ?? "", entry.dot.origin.rawValue, c.map { time($0.wallTime) } ?? ""])
            }
        }
        var lines = ["\(record.id)  \(record.kind)  in \(scope)" + (record.isDeleted ? "  (deleted)" : "") + (record.inConflict ? "  (in conflict: conflicts \(record.id))" : "")]
        lines.append(table.render())
        if record.isDeletedInConflict {
            let sides = record.deleted.entries.map { "\($0.value == .boolean(true) ? "deleted" : "kept") by \($0.dot.origin)" }
            lines.append("deleted ≠ " + sides.joined(separator: ", "))
        }
        lines.append("vector  " + record.vector.entries.map { "\($0.node):\($0.seq)" }.joined(separator: " "))
        return Output(text: lines.joined(separator: "\n"))
    }

    func history(_ id: RecordID) throws -> Output {
        let changes = try store.history(of: id)
        // Void changes are held and shown, marked: the register computes as if they were absent.
        let void = try store.voidDots(of: id)
        if json {
            let list = changes.map { c in
                ChangeJSON(
                    dot: c.dot.description, office: c.dot.origin.rawValue, officer: c.officer, time: isoTime(c.wallTime), operation: c.operation.rawValue,
                    fields: Dictionary(uniqueKeysWithValues: c.fields.map { ($0.key.rawValue, $0.value) }), void: void.contains(c.dot) ? true : nil)
            }
            return Output(text: encode(["id": AnyEncodable(id.description), "changes": AnyEncodable(list)]))
        }
        var table = Table(header: ["change", "time", "officer", "office", "did", "what"], width: terminalWidth, wrapping: [5])
        for c in changes {
            let what = c.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.isNull ? "(unset)" : ValueSyntax.literal($0.value))" }
            let did = c.operation.rawValue + (void.contains(c.dot) ? " (void)" : "")
            table.rows.append([c.dot.description, time(c.wallTime), c.officer, c.dot.origin.rawValue, did, what.joined(separator: " ")])
        }
        var text = table.render()
        if let first = changes.first(where: { void.contains($0.dot) }) {
            let reason = try store.voidReason(origin: first.dot.origin, scope: first.scope, seq: first.dot.seq)
            text += "\n(void) counts for nothing in the register: \(reason)"
            if void.contains(Dot(origin: id.dot.origin, seq: id.dot.seq)) { text += "; the entry's creation is void, so it is not an entry here" }
        }
        return Output(text: text)
    }

    /// Entries as a table (the most common fields as columns, at most eight) or, `vertical`, as
    /// blocks of field/value lines. `more`: how many more there are past these (with
    /// `moreIsLowerBound`: at least that many); `nextOffset`: where the next page starts.
    func list(
        _ records: [RecordState], more: Int, showKind: Bool, moreIsLowerBound: Bool = false, vertical: Bool = false, nextOffset: Int? = nil
    ) -> Output {
        if json { return Output(text: encode(ListJSON(entries: records.map(EntryJSON.init), more: more))) }
        if records.isEmpty { return Output(text: "no entries") }
        var text: String
        var frequency: [FieldName: Int] = [:]
        var shown = 0
        var anyConflict = false
        if vertical {
            var blocks: [String] = []
            for record in records {
                anyConflict = anyConflict || record.inConflict
                var table = Table(header: ["", ""], width: terminalWidth, wrapping: [1])
                for (name, value) in record.values.sorted(by: { $0.key < $1.key }) {
                    table.rows.append([name.rawValue + (record.fields[name]?.inConflict == true ? " ≠" : ""), value.displayText])
                }
                let title = "\(record.id)\(record.inConflict ? " *" : "")  \(record.kind)"
                // The block without its header row: the entry's id stands above it.
                let body = table.render().split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
                blocks.append("── " + title + "\n" + (body.isEmpty ? "(no fields)" : body))
            }
            text = blocks.joined(separator: "\n")
        } else {
            for record in records { for name in record.values.keys { frequency[name, default: 0] += 1 } }
            let columns = frequency.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8).map(\.key)
            shown = columns.count
            var table = Table(header: ["id"] + (showKind ? ["kind"] : []) + columns.map(\.rawValue), width: terminalWidth, fixed: showKind ? [0, 1] : [0])
            for record in records {
                anyConflict = anyConflict || record.inConflict
                let values = record.values
                table.rows.append(
                    [record.id.description + (record.inConflict ? " *" : "")] + (showKind ? [record.kind.rawValue] : [])
                        + columns.map { values[$0]?.displayText ?? "" })
            }
            text = table.render()
        }
        if frequency.count > shown { text += "\n(\(frequency.count - shown) more fields: show ID, or add vertical)" }
        if anyConflict { text += "\n* in conflict: conflicts ID" }
        if more > 0 {
            let next = nextOffset.map { "; the next page: add offset \($0)" } ?? ""
            text += moreIsLowerBound ? "\n… and more; narrow it down" : "\n… \(more) more\(next), or narrow it down"
        }
        return Output(text: text)
    }

    /// Refuses a query of a scope this node does not hold: it would find nothing, and the officer
    /// should learn why.
    func checkHeld(_ query: Query) throws {
        guard let scope = query.scope, let held = try store.heldScopes(), !held.contains(scope) else { return }
        let holds = held.map(\.rawValue).sorted().joined(separator: ", ")
        throw CommandError("this office does not hold scope \(scope): it holds \(holds.isEmpty ? "no scope" : holds) (see `scopes`)")
    }

    func find(_ query: Query, vertical: Bool = false) throws -> Output {
        try checkHeld(query)
        var q = query
        let explicit = query.limit != nil
        if !explicit { q.limit = pageSize }
        let records = try store.find(q)
        var more = 0
        // Only when the officer gave no limit: a limit says how many were wanted.
        if !explicit, records.count == pageSize { more = max(0, try store.count(query) - query.offset - pageSize) }
        return list(records, more: more, showKind: query.kind == nil, vertical: vertical, nextOffset: query.offset + pageSize)
    }

    func search(_ text: String, limit: Int?) throws -> Output {
        let records = try store.search(text, limit: limit ?? pageSize)
        let more = limit == nil && records.count == pageSize ? max(0, try store.searchCount(text) - pageSize) : 0
        return list(records, more: more, showKind: true, vertical: vertical)
    }

    func conflicts() throws -> Output {
        let records = try store.conflicts(limit: 1001)
        if json { return Output(text: encode(ListJSON(entries: records.prefix(1000).map(EntryJSON.init), more: max(0, records.count - 1000)))) }
        if records.isEmpty { return Output(text: "no conflicts") }
        var table = Table(header: ["id", "kind", "in conflict"], width: terminalWidth, wrapping: [2], fixed: [0])
        for record in records.prefix(1000) {
            let names = record.conflictingFields.map(\.rawValue) + (record.isDeletedInConflict ? ["(deleted)"] : [])
            table.rows.append([record.id.description, record.kind.rawValue, names.joined(separator: ", ")])
        }
        return Output(text: table.render() + "\nsee one side by side: conflicts ID; end one: resolve ID keep SIDE")
    }

    /// The sides of an entry's conflict: the changes whose values stand against each other,
    /// greatest stamp first.
    func sides(_ record: RecordState) -> [FieldEntry] {
        var byDot: [Dot: FieldEntry] = [:]
        for name in record.conflictingFields { for entry in record.fields[name]!.entries { byDot[entry.dot] = entry } }
        if record.isDeletedInConflict { for entry in record.deleted.entries { byDot[entry.dot] = entry } }
        return byDot.values.sorted { $0.stamp > $1.stamp }
    }

    func sideBySide(_ id: RecordID) throws -> Output {
        guard let record = try store.record(id) else { throw StoreError(.unknownRecord, "no entry \(id)") }
        guard record.inConflict else { return Output(text: json ? encode(["id": id.description, "conflict": "none"]) : "\(id) is not in conflict") }
        let sides = sides(record)
        var header = ["side"]
        var sideInfo: [[String: String]] = []
        var changeRow = ["change"]
        var officerRow = ["officer"]
        var timeRow = ["time"]
        for (i, side) in sides.enumerated() {
            let c = try store.change(at: side.dot)
            header.append("\(i + 1)")
            changeRow.append(side.dot.description)
            officerRow.append(c?.officer ?? "")
            timeRow.append(c.map { time($0.wallTime) } ?? "")
            sideInfo.append(["side": "\(i + 1)", "dot": side.dot.description, "office": side.dot.origin.rawValue, "officer": c?.officer ?? "", "time": c.map { isoTime($0.wallTime) } ?? ""])
        }
        var table = Table(header: header, rows: [changeRow, officerRow, timeRow], width: terminalWidth, wrapping: Set(1..<header.count))
        var jsonRows: [String: [String: FieldValue]] = [:]
        for name in record.conflictingFields {
            let register = record.fields[name]!
            var row = [name.rawValue]
            for side in sides {
                let entry = register.entries.first { $0.dot == side.dot }
                row.append(entry.map { $0.value.isNull ? "(unset)" : $0.value.displayText } ?? "—")
                if let entry { jsonRows[name.rawValue, default: [:]][side.dot.description] = entry.value }
            }
            table.rows.append(row)
        }
        if record.isDeletedInConflict {
            var row = ["(deleted)"]
            for side in sides {
                let entry = record.deleted.entries.first { $0.dot == side.dot }
                row.append(entry.map { $0.value == .boolean(true) ? "deleted" : "kept" } ?? "—")
                if let entry { jsonRows["(deleted)", default: [:]][side.dot.description] = entry.value }
            }
            table.rows.append(row)
        }
        // A side whose stamp ran past the allowed drift wins by its clock alone: said plainly.
        let skewed = try store.skewedChanges(of: id)
        var notes: [String] = []
        for (i, side) in sides.enumerated() {
            guard let ahead = skewed[side.dot] else { continue }
            sideInfo[i]["clockAheadMs"] = "\(ahead)"
            let shown = i == 0 ? "; it is shown only because of that clock" : ""
            notes.append("side \(i + 1) (\(side.dot)) was stamped by a clock that ran \(Self.duration(ahead)) ahead of the allowed drift\(shown)")
        }
        if json {
            return Output(text: encode(["id": AnyEncodable(id.description), "sides": AnyEncodable(sideInfo), "fields": AnyEncodable(jsonRows)]))
        }
        return Output(
            text: "\(id)  \(record.kind)\n" + table.render() + notes.map { "\nnote: " + $0 }.joined()
                + "\nkeep one side: resolve \(id) keep 1   or write values: resolve \(id) field=value")
    }

    /// The scopes this node holds and may write, entries in each, the latest change of each,
    /// and where `add` puts new entries.
    func scopes() throws -> Output {
        let held = try store.heldScopes()
        let grant = try store.grant(of: store.node)
        let root = try store.root()
        let counts = try store.entriesPerScope()
        let latest = try store.latestChangePerScope()
        let newEntries = try store.scopeForNewEntries()
        let everything = held == nil
        var names = Set(counts.keys).union(held ?? []).union(grant?.read ?? [])
        if let grant { names.formUnion(grant.write.keys) }
        let writable: (Scope) -> Bool = { scope in
            if everything { return true }
            if let grant { return grant.writable.contains(scope) }
            return scope == .general || scope == newEntries
        }
        struct Row: Encodable {
            var scope: String
            var read: Bool
            var write: Bool
            var entries: Int
            var latestChange: String?
        }
        let rows = names.sorted().map { scope in
            Row(
                scope: scope.rawValue, read: everything || (held?.contains(scope) ?? false), write: writable(scope), entries: counts[scope] ?? 0,
                latestChange: latest[scope].map { isoTime($0) })
        }
        if json {
            struct Document: Encodable {
                var scopes: [Row]
                var newEntries: String
                var root: String?
                var grantKnown: Bool
            }
            return Output(text: encode(Document(scopes: rows, newEntries: newEntries.rawValue, root: root?.rawValue, grantKnown: everything || grant != nil)))
        }
        var table = Table(header: ["scope", "access", "entries", "latest change"], width: terminalWidth)
        for row in rows {
            let access = row.read && row.write ? "read, write" : row.read ? "read" : row.write ? "write" : "withdrawn"
            table.rows.append([row.scope, access, "\(row.entries)", row.latestChange.map { _ in time(latest[try! Scope(row.scope)]!) } ?? "-"])
        }
        var notes: [String] = []
        if everything {
            notes.append("this is the central node: it holds every scope and writes the registry's grants")
        } else if grant == nil {
            notes.append("no grant has reached this office yet (it comes from the central node at sync): until then it holds and writes \(newEntries == .general ? "general" : "\(newEntries) and general")")
        }
        notes.append("new entries go to \(newEntries) (add KIND in SCOPE for another)")
        return Output(text: table.render() + "\n" + notes.joined(separator: "\n"))
    }

    func status() throws -> Output {
        let knowledge = try store.knowledge()
        let counts = try store.changeCounts()
        let kinds = try store.countByKind()
        let total = kinds.reduce(0) { $0 + $1.count }
        let conflicts = try store.conflictCount()
        let unsent = try store.unsentCount()
        let warnings = try store.clockWarnings()
        let forks = try store.knownForks()
        let keyForks = try store.keyForks()
        let skewWins = try store.skewWins()
        let refused = try store.refusedSenders()
        let indexProblem = store.indexProblem()
        // Scopes whose entries are held here but which this node no longer holds (withdrawn).
        let held = try store.heldScopes()
        let void = try store.voidChains()
        let pending = try store.pendingWithdrawals()
        let deleted = try store.deletedScopes().filter { deletion in !(held?.contains(deletion.scope) ?? true) }
        let root = try store.root()
        let heartbeat = try store.newestHeartbeat()
        let now = Int64(store.options.wallClock())
        if json {
            struct StatusJSON: Encodable {
                var node: String
                var officer: String
                var store: String
                var entries: Int
                var kinds: [String: Int]
                var conflicts: Int
                var changesHeld: UInt64
                var changesMadeHere: UInt64
                var changesNotSent: UInt64
                /// Per scope, per origin: the seq of the chain's last change held.
                var knowledge: [String: [String: UInt64]]
                var clockWarnings: [[String: String]]
                var forks: [String]
                /// Nodes the registry binds to two keys, with both statements.
                var keyForks: [String]
                var skewedWins: [[String: String]]
                var refusedSenders: [[String: String]]
                var indexProblem: String?
                /// Scopes withdrawn from this node whose entries it still holds: scope to entries.
                var withdrawnScopes: [String: Int]
                /// Void changes held, per chain: kept and passed on, computed as if absent.
                var voidChanges: [[String: String]]
                /// Withdrawn scopes still held (hidden, waiting to be pushed and deleted), and those deleted.
                var pendingWithdrawals: [[String: String]]
                var deletedScopes: [[String: String]]
                /// The central node this node takes its registry from, and its newest heartbeat
                /// held: when it was written, and how old it is, in milliseconds.
                var root: String?
                var heartbeat: [String: String]?
            }
            return Output(
                text: encode(
                    StatusJSON(
                        node: store.node.rawValue, officer: officer, store: store.path, entries: total,
                        kinds: Dictionary(uniqueKeysWithValues: kinds.map { ($0.kind.rawValue, $0.count) }), conflicts: conflicts,
                        changesHeld: counts.held, changesMadeHere: counts.own, changesNotSent: unsent,
                        knowledge: knowledge.entries.reduce(into: [:]) { $0[$1.key.scope.rawValue, default: [:]][$1.key.origin.rawValue] = $1.value.seq },
                        clockWarnings: warnings.map { ["office": $0.dot.origin.rawValue, "change": $0.dot.description, "aheadMs": "\($0.skewMilliseconds)"] },
                        forks: forks.map(\.description), keyForks: keyForks.map(\.description),
                        skewedWins: skewWins.map { ["entry": $0.record.description, "field": $0.field, "change": $0.dot.description, "aheadMs": "\($0.skewMilliseconds)"] },
                        refusedSenders: refused.map {
                            ["sender": $0.sender.rawValue, "origin": $0.origin.rawValue, "reason": $0.reason, "times": "\($0.times)", "last": isoTime($0.lastAt)]
                        },
                        indexProblem: indexProblem.map { "\(isoTime($0.atMilliseconds)): \($0.message)" },
                        withdrawnScopes: Dictionary(uniqueKeysWithValues: pending.map { ($0.scope.rawValue, $0.entries) }),
                        voidChanges: void.map {
                            [
                                "office": $0.chain.origin.rawValue, "scope": $0.chain.scope.rawValue, "count": "\($0.count)", "first": "\($0.first)",
                                "last": "\($0.last)", "reason": $0.reason,
                            ]
                        },
                        pendingWithdrawals: pending.map { ["scope": $0.scope.rawValue, "changes": "\($0.changes)", "entries": "\($0.entries)"] },
                        deletedScopes: deleted.map {
                            ["scope": $0.scope.rawValue, "at": isoTime($0.at), "changes": "\($0.changes)", "entries": "\($0.entries)", "confirmedBy": $0.confirmedBy]
                        }, root: root?.rawValue,
                        heartbeat: heartbeat.map { ["at": isoTime($0.at), "ageMs": "\(max(0, now - $0.at))"] })))
        }
        var lines = [
            "node       \(store.node)",
            "officer    \(officer)",
            "store      \(store.path)",
            "entries    \(total)" + (kinds.isEmpty ? "" : "  (" + kinds.map { "\($0.kind) \($0.count)" }.joined(separator: ", ") + ")"),
            "conflicts  \(conflicts)" + (conflicts > 0 ? "  (conflicts to list them)" : ""),
            "changes    \(counts.held) held, \(counts.own) made here, \(unsent) not yet sent anywhere",
        ]
        if let root {
            if let heartbeat {
                lines.append("heartbeat  \(root)'s newest is \(Self.duration(UInt64(max(0, now - heartbeat.at)))) old (written \(time(heartbeat.at))): registry statements are at least that fresh")
            } else {
                lines.append("heartbeat  none of \(root)'s held yet: sync with the central node (or a node that has its registry)")
            }
        }
        for w in warnings {
            lines.append("clock      \(w.dot.origin)'s clock ran \(Self.duration(w.skewMilliseconds)) ahead of this node's allowed drift (change \(w.dot))")
        }
        for win in skewWins.prefix(20) {
            lines.append(
                "skewed     \(win.record) \(win.field): the value shown won only because \(win.dot.origin)'s clock ran \(Self.duration(win.skewMilliseconds)) ahead (change \(win.dot)); see conflicts \(win.record)")
        }
        if skewWins.count > 20 { lines.append("skewed     ... and \(skewWins.count - 20) more values that won only by a clock that ran ahead") }
        for fork in forks { lines.append("FORK       \(fork)") }
        for fork in keyForks { lines.append("KEY FORK   \(fork.description.dropFirst("KEY FORK ".count))") }
        for r in refused where r.reason == "bad_signature" {
            lines.append("REFUSED    \(r.sender) passed on changes of \(r.origin) whose signature does not verify \(r.times) time(s), last at \(time(r.lastAt)): altered or made up on the way; nothing of them was kept")
        }
        for r in refused where r.reason == "own_origin" {
            lines.append("REFUSED    \(r.sender) sent changes in this node's own name (\(r.origin)) \(r.times) time(s), last at \(time(r.lastAt)); nothing of them was kept: check that node")
        }
        for p in pending {
            lines.append(
                "withdrawn  \(p.scope): hidden here; \(Session.plural(p.entries, "entry", "entries")) and \(Session.plural(p.changes, "change", "changes")) of it are still held, deleted once the central node (or a server holding \(p.scope)) has every one: sync")
        }
        for d in deleted {
            lines.append(
                "deleted    \(d.scope) at \(time(d.at)): \(Session.plural(d.changes, "change", "changes")) and \(Session.plural(d.entries, "entry", "entries")), after \(d.confirmedBy) confirmed it holds them all")
        }
        for chain in void {
            let seqs = chain.first == chain.last ? "seq \(chain.first)" : "seqs \(chain.first) to \(chain.last)"
            lines.append(
                "void       \(chain.count) change\(chain.count == 1 ? "" : "s") of \(chain.chain.origin) in \(chain.chain.scope) (\(seqs)) count for nothing: \(chain.reason); they are kept and shown by `history`")
        }
        if let indexProblem {
            lines.append("index      keeping the index up to date failed at \(time(indexProblem.atMilliseconds)): \(indexProblem.message)")
        }
        return Output(text: lines.joined(separator: "\n"))
    }

    static func duration(_ ms: UInt64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 120_000 { return "\(ms / 1000) s" }
        if ms < 7_200_000 { return "\(ms / 60000) min" }
        return "\(ms / 3_600_000) h"
    }

    func help(_ topic: String?) throws -> Output {
        struct HelpJSON: Encodable {
            var command: String
            var aliases: [String]
            var usage: String
            var summary: String
            var example: String
            init(_ spec: CommandSpec) {
                command = spec.name
                aliases = spec.aliases
                usage = spec.usage
                summary = spec.summary
                example = spec.example
            }
        }
        if let topic {
            guard let spec = CommandSpec.named(topic) else { throw CommandError("no command '\(topic)': type help for the list") }
            if json { return Output(text: encode(HelpJSON(spec))) }
            let aliases = spec.aliases.isEmpty ? "" : "\n  also: " + spec.aliases.joined(separator: ", ")
            return Output(text: "\(spec.usage)\n  \(spec.summary)\n  example: \(spec.example)\(aliases)")
        }
        if json { return Output(text: encode(["commands": CommandSpec.all.map(HelpJSON.init)])) }
        var table = Table(header: ["command", "what it does"], width: terminalWidth, wrapping: [0, 1])
        for spec in CommandSpec.all { table.rows.append([spec.usage, spec.summary]) }
        return Output(
            text: table.render()
                + "\nValues: \"quoted\" is text; true/false are booleans; 12 and 12.50 are numbers; anything else is text (03001234567 keeps its zero)."
                + "\nIds: type the whole id or its first characters. help COMMAND shows an example.")
    }
}

/// Wraps values of different types for one JSON document.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
