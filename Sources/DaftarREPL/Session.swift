import DaftarModel
public import DaftarStore
public import Foundation

/// Runs officers' commands against one store and renders the results, as tables for people or
/// as JSON documents for scripts.
public final class Session {
    public let store: Store
    public var officer: String
    /// Whether the officer signed in is the office's administrator: rewriting the log
    /// (`fork discard`, `fork keep`) is theirs alone.
    public var administrator = true
    /// Print results as JSON documents, one per result.
    public var json: Bool
    /// How many entries a find shows when no limit is given.
    public var pageSize = 50
    /// The terminal's width in columns, when the output goes to one: tables are fitted to it.
    public var terminalWidth: Int?
    /// Show found entries as field/value blocks instead of a table (`view vertical`).
    public var vertical = false
    /// Whether results taller than the terminal go through a pager (`pager on|off`); the console
    /// does the paging.
    public var pager = true
    /// Where `source` gives each command's result as it comes; nil: gathered into its result.
    public var printer: ((Output) -> Void)?
    /// This session's edits, for `undo`, latest last.
    var edits: [Edit] = []
    var sourceDepth = 0
    let times: DateFormatter

    public init(store: Store, officer: String, json: Bool = false, timeZone: TimeZone = .current) {
        self.store = store
        self.officer = officer
        self.json = json
        times = DateFormatter()
        times.locale = Locale(identifier: "en_US_POSIX")
        times.timeZone = timeZone
        times.dateFormat = "yyyy-MM-dd HH:mm:ss"
    }

    /// What one command printed, and whether it succeeded.
    public struct Output: Sendable, Equatable {
        /// For standard output.
        public var text: String
        /// For standard error: one line saying what went wrong and what to do.
        public var error: String?
        public var quit: Bool = false
        public var ok: Bool { error == nil }
    }

    /// Parses and runs one line. Never throws: a bad line or a failed command comes back as one
    /// error line, and the session goes on.
    public func run(_ line: String) -> Output {
        do {
            guard let command = try CommandParser.parse(line) else { return Output(text: "") }
            return try execute(command)
        } catch let error as CommandError {
            return failure(code: "bad_command", error.message)
        } catch let error as StoreError {
            return failure(code: error.code.rawValue, error.message)
        } catch let error as ValidationError {
            return failure(code: error.code.rawValue, error.message)
        } catch {
            return failure(code: "error", "\(error)")
        }
    }

    private func failure(code: String, _ message: String) -> Output {
        if json { return Output(text: encode(["error": code, "message": message]), error: message) }
        return Output(text: "", error: message)
    }

    func execute(_ command: Command) throws -> Output {
        switch command {
        case .add(let kind, let fields):
            let id = try store.add(kind: kind, fields: fields, as: officer)
            edits.append(Edit(id: id, before: nil, fields: Array(fields.keys), what: "add"))
            return Output(text: json ? encode(["id": id.description]) : id.description)
        case .addIn(let kind, let scope, let fields):
            let id = try store.write(as: officer) { try $0.add(kind: kind, fields: fields, in: scope) }
            edits.append(Edit(id: id, before: nil, fields: Array(fields.keys), what: "add"))
            return Output(text: json ? encode(["id": id.description, "scope": scope.rawValue]) : id.description)
        case .scopes: return try scopes()
        case .set(let prefix, let fields):
            let id = try store.resolveID(prefix)
            try edit(id, "set", fields: Array(fields.keys)) { try $0.set(id, fields) }
            return done(id, "set")
        case .unset(let prefix, let names):
            let id = try store.resolveID(prefix)
            try edit(id, "unset", fields: names) { try $0.unset(id, names) }
            return done(id, "unset")
        case .delete(let prefix):
            let id = try store.resolveID(prefix)
            try edit(id, "delete", fields: []) { try $0.delete(id) }
            return done(id, "deleted")
        case .restore(let prefix):
            let id = try store.resolveID(prefix)
            try edit(id, "restore", fields: []) { try $0.restore(id) }
            return done(id, "restored")
        case .transfer(let prefix, let scope):
            let id = try store.resolveID(prefix)
            let moved = try store.write(as: officer) { try $0.transfer(id, to: scope) }
            return Output(
                text: json
                    ? encode(["id": moved.description, "from": id.description, "scope": scope.rawValue])
                    : "\(id) transferred to \(scope) as \(moved) (\(id) stays in its scope, linked by transferred_to)")
        case .show(let prefix): return try show(try store.resolveID(prefix))
        case .history(let prefix): return try history(try store.resolveID(prefix, forHistory: true))
        case .find(let query, let vertical): return try find(query, vertical: vertical || self.vertical)
        case .count(let query):
            try checkHeld(query)
            let n = try store.count(query)
            return Output(text: json ? encode(["count": n]) : "\(n)")
        case .search(let text, let limit): return try search(text, limit: limit)
        case .conflicts: return try conflicts()
        case .conflict(let prefix): return try sideBySide(try store.resolveID(prefix))
        case .resolve(let prefix, let fields): return try resolve(try store.resolveID(prefix), fields)
        case .resolveKeep(let prefix, let side): return try keep(try store.resolveID(prefix), side: side)
        case .status: return try status()
        case .export(let format, let path, let kind, let excel): return try export(format, path: path, kind: kind, excel: excel)
        case .importFile(let format, let path, let kind, let again): return try importFile(format, path: path, kind: kind, again: again)
        case .json(let on):
            // Both answers are one JSON document: a script reading JSON reads either.
            json = on
            return Output(text: encode(["json": on]))
        case .undo: return try undo()
        case .source(let path): return try source(path)
        case .refs(let prefix): return try refs(try store.resolveID(prefix))
        case .view(let vertical):
            self.vertical = vertical
            return Output(text: json ? encode(["view": vertical ? "vertical" : "table"]) : "view \(vertical ? "vertical" : "table")")
        case .pager(let on):
            pager = on
            return Output(text: json ? encode(["pager": on]) : "pager \(on ? "on" : "off")")
        case .check:
            let problems = try store.integrityCheck()
            if json { return Output(text: encode(IntegrityJSON(ok: problems.isEmpty, problems: problems)), error: problems.isEmpty ? nil : "the store is damaged") }
            return problems.isEmpty ? Output(text: "ok") : Output(text: problems.joined(separator: "\n"), error: "the store is damaged: restore it from a backup")
        case .sync(let name): return try sync(name)
        case .remotes:
            let remotes = try store.remotes()
            if json {
                return Output(text: encode(remotes.map { ["name": $0.name, "url": $0.url, "lastSync": $0.lastSync.map { isoTime($0) } ?? ""] }))
            }
            if remotes.isEmpty { return Output(text: "no remotes: add one with daftar remote add NAME URL --token TOKEN") }
            var table = Table(header: ["remote", "address", "last sync", "server held"], width: terminalWidth)
            for r in remotes {
                table.rows.append([r.name, r.url, r.lastSync.map { time($0) } ?? "never", r.lastKnowledge.map { "\($0.entries.count) chains" } ?? ""])
            }
            return Output(text: table.render())
        case .merge(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommandError("no file at \(path) to merge: check the path (merge takes a colleague's store file, for example /media/usb/karachi.daftar)")
            }
            let other = try Store.open(at: path)
            guard other.node != store.node || other.path != store.path else { throw CommandError("\(path) is this store: merge takes another store's file") }
            let summary = try store.merge(from: other)
            var lines = ["merged from \(other.node): \(Self.plural(summary.applied, "change", "changes")) applied, \(Self.plural(summary.newConflicts, "new conflict", "new conflicts"))"]
            if let stop = summary.stop { lines.append("stopped: \(stop)") }
            for fork in summary.forks { lines.append("FORK: \(fork)") }
            for skew in summary.skews { lines.append("clock: \(skew.dot.origin) is \(Self.duration(skew.skewMilliseconds)) past the allowed drift") }
            if json {
                return Output(
                    text: encode([
                        "from": AnyEncodable(other.node.rawValue), "applied": AnyEncodable(summary.applied), "newConflicts": AnyEncodable(summary.newConflicts),
                        "stop": AnyEncodable(summary.stop.map { "\($0)" }), "forks": AnyEncodable(summary.forks.map(\.description)),
                    ]), error: summary.stop.map { "\($0)" })
            }
            return Output(text: lines.joined(separator: "\n"), error: summary.stop.map { "\($0)" })
        case .forkDiscard(let origin, let seq):
            guard administrator else {
                throw CommandError("fork discard rewrites this store's log: only the office's administrator may run it; sign in as the administrator")
            }
            let report = try store.discardBranch(of: origin, from: seq)
            if json {
                return Output(
                    text: encode([
                        "origin": AnyEncodable(report.origin.rawValue), "fromSeq": AnyEncodable(report.fromSeq), "reissued": AnyEncodable(report.reissued),
                        "node": AnyEncodable(report.newNode.rawValue), "renamed": AnyEncodable(Dictionary(uniqueKeysWithValues: report.renamed.map { ($0.key.description, $0.value.description) })),
                    ]))
            }
            var lines = ["re-issued \(report.reissued) changes of \(report.origin) from seq \(report.fromSeq) as \(report.newNode)"]
            lines += report.renamed.sorted { $0.key < $1.key }.map { "  \($0.key) is now \($0.value)" }
            if report.tookNewIdentity { lines.append("this store is now node \(report.newNode)") }
            return Output(text: lines.joined(separator: "\n"))
        case .forkFind(let origin, let remoteName): return try forkFind(origin, remoteName)
        case .forkShow(let origin): return try forkShow(origin)
        case .forkKeep(let origin):
            guard administrator else {
                throw CommandError("fork keep decides which history of \(origin) this store keeps: only the office's administrator may run it; sign in as the administrator")
            }
            guard try store.keepBranch(of: origin) else {
                throw CommandError("this store has recorded no fork of \(origin): nothing to keep (status lists the forks it knows)")
            }
            return Output(text: json ? encode(["kept": origin.rawValue]) : "kept this store's history of \(origin)")
        case .help(let topic): return try help(topic)
        case .quit: return Output(text: "", quit: true)
        }
    }

    func done(_ id: RecordID, _ what: String) -> Output {
        Output(text: json ? encode(["id": id.description, "done": what]) : "\(id) \(what)")
    }

    func time(_ milliseconds: Int64) -> String {
        times.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

struct IntegrityJSON: Encodable {
    var ok: Bool
    var problems: [String]
}
