import DaftarModel
import DaftarStore
import Foundation

/// One edit an officer made in this session, as `undo` needs it: the entry before it, and what
/// it touched.
struct Edit {
    var id: RecordID
    /// The entry before the edit; nil when the edit made it.
    var before: RecordState?
    /// The entry just after it: what is still as the edit left it can be reverted; what another
    /// change (a sync, a merge) has written since is left alone.
    var after: RecordState?
    /// The fields the edit wrote.
    var fields: [FieldName]
    /// What the command was, for the officer: "set", "delete", ...
    var what: String
}

extension Session {
    /// Runs an edit of one entry, noting the entry as it was for `undo`.
    func edit(_ id: RecordID, _ what: String, fields: [FieldName], _ body: (StoreTransaction) throws -> Void) throws {
        let before = try store.record(id)
        try store.write(as: officer, body)
        edits.append(Edit(id: id, before: before, after: try store.record(id), fields: fields, what: what))
        if edits.count > 100 { edits.removeFirst() }
    }

    /// Reverts the last edit of this session with a new change, which supersedes it; history keeps
    /// both.
    func undo() throws -> Output {
        guard let last = edits.last else { throw CommandError("nothing to undo: undo reverts changes made in this session, and none is left") }
        guard let now = try store.record(last.id) else { throw StoreError(.unknownRecord, "no entry \(last.id)") }
        var did: [String] = []
        var left: [String] = []
        // Whether a register is still as the undone edit left it (no later change shows there).
        func unchanged(_ now: Register?, _ after: Register?) -> Bool { now?.entries.map(\.dot) == after?.entries.map(\.dot) }
        try store.write(as: officer) { tx in
            guard let before = last.before else {
                // Undoing an add: the entry is deleted (it can be restored).
                if !now.isDeleted || now.isDeletedInConflict { try tx.delete(last.id) }
                did.append("deleted \(last.id), which that add made")
                return
            }
            if before.isDeleted != (last.after?.isDeleted ?? before.isDeleted) {
                if !unchanged(now.deleted, last.after?.deleted) {
                    left.append("whether it is deleted (changed since, by \(now.deleted.entries.first?.dot.origin.rawValue ?? "another change"))")
                } else if before.isDeleted {
                    try tx.delete(last.id)
                    did.append("deleted it again")
                } else {
                    try tx.restore(last.id)
                    did.append("restored it")
                }
            }
            var fields: [FieldName: FieldValue] = [:]
            for name in last.fields {
                guard unchanged(now.fields[name], last.after?.fields[name]) else {
                    left.append("\(name) (changed since, by \(now.fields[name]?.entries.first?.dot.origin.rawValue ?? "another change"))")
                    continue
                }
                let was = before.fields[name]?.value ?? .null
                if now.fields[name]?.value != was || now.fields[name]?.inConflict == true { fields[name] = was }
            }
            if !fields.isEmpty {
                try tx.resolve(last.id, fields)
                did += fields.sorted { $0.key < $1.key }.map { "\($0.key) back to \($0.value.isNull ? "(unset)" : ValueSyntax.literal($0.value))" }
            }
        }
        edits.removeLast()
        var summary = did.isEmpty ? "nothing to change: \(last.id) already is as it was" : did.joined(separator: ", ")
        if !left.isEmpty { summary += "; left as they are: " + left.joined(separator: ", ") }
        if json { return Output(text: encode(["id": last.id.description, "undid": last.what, "done": summary])) }
        return Output(text: "undid \(last.what) of \(last.id): \(summary)")
    }

    /// Ends an entry's conflict on every field by keeping one side: each conflicting field as that
    /// side left it (its value, or, for a field it did not write, the value it had seen, or none).
    /// `deleted` and `live` settle a deleted-or-not conflict.
    func keep(_ id: RecordID, side: String) throws -> Output {
        guard let record = try store.record(id) else { throw StoreError(.unknownRecord, "no entry \(id)") }
        guard record.inConflict else { throw CommandError("\(id) is not in conflict: nothing to resolve") }
        let lowered = side.lowercased()
        if lowered == "deleted" || lowered == "live" {
            guard record.isDeletedInConflict else {
                throw CommandError("\(id) is not in a deleted-or-not conflict: keep a side instead (resolve \(id) keep 1; see conflicts \(id))")
            }
            try edit(id, lowered == "deleted" ? "resolve keep deleted" : "resolve keep live", fields: []) { tx in
                if lowered == "deleted" { try tx.delete(id) } else { try tx.restore(id) }
            }
            let left = record.conflictingFields.isEmpty ? "" : "; fields still in conflict: \(record.conflictingFields.map(\.rawValue).joined(separator: ", "))"
            return done(id, (lowered == "deleted" ? "resolved: stays deleted" : "resolved: stays, not deleted") + left)
        }
        let sides = sides(record)
        let chosen: FieldEntry
        if let n = Int(side), n >= 1, n <= sides.count {
            chosen = sides[n - 1]
        } else if let match = sides.first(where: { $0.dot.description == side }) {
            chosen = match
        } else {
            throw CommandError("no side '\(side)' in \(id)'s conflict: use a number from 1 to \(sides.count), or a dot, as listed by `conflicts \(id)`")
        }
        guard let sideChange = try store.change(at: chosen.dot) else { throw StoreError(.corrupt, "the change \(chosen.dot) is missing from the log") }
        // What the side had seen: the changes its vector covers.
        let seen = try store.history(of: id).filter { $0.dot != chosen.dot && sideChange.vector.covers($0.dot) }
        var fields: [FieldName: FieldValue] = [:]
        var notes: [String] = []
        for name in record.conflictingFields {
            if let entry = record.fields[name]!.entries.first(where: { $0.dot == chosen.dot }) {
                fields[name] = entry.value
            } else {
                let earlier = seen.filter { $0.fields[name] != nil }.max { $0.stamp < $1.stamp }
                let value = earlier?.fields[name] ?? .null
                fields[name] = value
                notes.append("\(name) as \(chosen.dot) had seen it: \(value.isNull ? "(unset)" : ValueSyntax.literal(value))")
            }
        }
        let deletes: Bool? =
            record.isDeletedInConflict ? (record.deleted.entries.first { $0.dot == chosen.dot }.map { $0.value == .boolean(true) } ?? false) : nil
        try edit(id, "resolve keep", fields: Array(fields.keys)) { tx in
            if deletes == false { try tx.restore(id) }
            if !fields.isEmpty { try tx.resolve(id, fields) }
            if deletes == true { try tx.delete(id) }
        }
        var what = "resolved, keeping \(chosen.dot) on every field"
        if deletes == true { what += "; deleted, as that side left it" }
        if !notes.isEmpty { what += " (" + notes.joined(separator: "; ") + ")" }
        return done(id, what)
    }

    /// Writes values to end a conflict; refuses, with the choice to make, when the conflict is
    /// whether the entry is deleted at all.
    func resolve(_ id: RecordID, _ fields: [FieldName: FieldValue]) throws -> Output {
        if let record = try store.record(id), record.isDeletedInConflict {
            let by = record.deleted.entries.filter { $0.value == .boolean(true) }.map(\.dot.origin.rawValue)
            throw CommandError(
                "\(id) was deleted at \(Set(by).sorted().joined(separator: ", ")) while edited elsewhere: first choose whether it stays deleted (resolve \(id) keep deleted) or stays (resolve \(id) keep live), then write values"
            )
        }
        try edit(id, "resolve", fields: Array(fields.keys)) { tx in try tx.resolve(id, fields) }
        return done(id, "resolved")
    }

    /// Entries whose fields hold the id.
    func refs(_ id: RecordID) throws -> Output {
        guard try store.record(id) != nil else { throw StoreError(.unknownRecord, "no entry \(id): check the id with `find` or `search`") }
        let limit = 200
        let found = try store.referring(to: id, limit: limit + 1)
        if !json, found.isEmpty { return Output(text: "no entry refers to \(id)") }
        return list(Array(found.prefix(limit)), more: found.count > limit ? 1 : 0, showKind: true, moreIsLowerBound: true)
    }

    /// Runs the commands of a file, one per line, as the console reads a pipe; each result is
    /// given to `printer` as it comes (errors naming the file and line).
    func source(_ path: String) throws -> Output {
        guard sourceDepth < 8 else { throw CommandError("source files call each other more than 8 deep: check \(path) for a loop") }
        guard let data = FileManager.default.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw CommandError("\(path) is a folder: source takes a file of commands")
            }
            throw CommandError("cannot read \(path): check the path (source takes a file of commands, one per line)")
        }
        guard let text = String(validating: data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data, as: UTF8.self) else {
            throw CommandError("\(path) is not UTF-8 text: save it as UTF-8 and try again")
        }
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        var ran = 0
        var failed: [Int] = []
        var collected: [String] = []
        var errors: [String] = []
        // Lines end with \n or \r\n (a file saved on Windows): "\r\n" is one Character.
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var output = run(trimmed)
            ran += 1
            if let error = output.error {
                failed.append(i + 1)
                output.error = "\(path) line \(i + 1): \(error)"
            }
            if let printer {
                printer(output)
            } else {
                if !output.text.isEmpty { collected.append(output.text) }
                if let error = output.error { errors.append(error) }
            }
            if output.quit { break }
        }
        let summary = failed.isEmpty ? nil : "\(failed.count) of \(ran) commands in \(path) failed (line \(failed.map(String.init).joined(separator: ", ")))"
        var shown = collected
        if json { shown.append(encode(["source": AnyEncodable(path), "ran": AnyEncodable(ran), "failedLines": AnyEncodable(failed)])) }
        if printer == nil, !errors.isEmpty {
            return Output(text: shown.joined(separator: "\n"), error: (errors + [summary!]).joined(separator: "\n"))
        }
        return Output(text: shown.joined(separator: "\n"), error: summary)
    }
}
