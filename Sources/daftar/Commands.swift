import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the node id, counts, knowledge, clock warnings and forks.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try DaftarCLI.run {
            let s = try store.openOrCreate()
            let knowledge = try s.knowledge()
            print("node      \(s.node)")
            print("store     \(s.path)")
            let kinds = try s.countByKind()
            print("entries   \(kinds.reduce(0) { $0 + $1.count })" + (kinds.isEmpty ? "" : "  (" + kinds.map { "\($0.kind) \($0.count)" }.joined(separator: ", ") + ")"))
            print("conflicts \(try s.conflicts().count)")
            print("changes   \(knowledge.count) held, \(knowledge[s.node]) made here")
            for (origin, entry) in knowledge.entries.sorted(by: { $0.key < $1.key }) {
                print("  \(origin.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(entry.seq)")
            }
            for fork in try s.knownForks() { print("FORK      \(fork)") }
        }
    }
}

enum DaftarCLI {
    static func run(_ body: () throws -> Void) throws { try daftar.run(body) }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a new store for this office.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try DaftarCLI.run {
            let path = store.path
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let s = try Store.create(at: path, node: try store.nodeID())
            print("created a store for \(s.node) at \(path)")
        }
    }
}

/// Reads `name=value` arguments. Quoted values (`name="..."`) are text; unquoted `true`/`false`
/// are booleans; canonical numbers are integers or decimals; anything else is text.
func parseAssignments(_ items: [String]) throws -> [FieldName: FieldValue] {
    var fields: [FieldName: FieldValue] = [:]
    for item in items {
        guard let eq = item.firstIndex(of: "=") else {
            throw DaftarModel.ValidationError(.invalidFieldName, "'\(item)' is not name=value: write for example city=Lahore")
        }
        let name = try FieldName(String(item[..<eq]))
        fields[name] = try parseValue(String(item[item.index(after: eq)...]))
    }
    return fields
}

func parseValue(_ raw: String) throws -> FieldValue {
    if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") { return try FieldValue.text(normalizing: String(raw.dropFirst().dropLast())) }
    if raw == "true" { return .boolean(true) }
    if raw == "false" { return .boolean(false) }
    let digits = raw.hasPrefix("-") ? raw.dropFirst() : raw[...]
    let isCanonical =
        !digits.isEmpty && digits.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        && digits.filter({ $0 == "." }).count <= 1 && !digits.hasPrefix(".") && !digits.hasSuffix(".")
        && !(digits.hasPrefix("0") && digits.count > 1 && !digits.hasPrefix("0."))
    if isCanonical {
        if !digits.contains("."), let n = Int64(raw) { return .integer(n) }
        if digits.contains(".") { return .decimal(try ExactDecimal(raw)) }
    }
    return try FieldValue.text(normalizing: raw)
}

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a new entry: daftar add incident title=\"Raid on call centre\" city=Lahore")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The kind of entry: incident, case, person, vehicle, seizure, ...") var kind: String
    @Argument(help: "Fields as name=value.") var fields: [String] = []

    func run() throws {
        try DaftarCLI.run {
            let s = try store.openOrCreate()
            let id = try s.add(kind: try Kind(kind), fields: try parseAssignments(fields), as: store.officerName)
            print(id)
        }
    }
}

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set fields of an entry: daftar set fia-lahore-12 status=closed")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The entry's id, or an unambiguous beginning of it.") var id: String
    @Argument(help: "Fields as name=value.") var fields: [String]

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            let values = try parseAssignments(fields)
            try s.write(as: store.officerName) { tx in try tx.set(rid, values) }
            print(rid)
        }
    }
}

struct Unset: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unset fields of an entry: daftar unset fia-lahore-12 phone")
    @OptionGroup var store: StoreOptions
    @Argument var id: String
    @Argument var names: [String]

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            let fields = try names.map { try FieldName($0) }
            try s.write(as: store.officerName) { tx in try tx.unset(rid, fields) }
            print(rid)
        }
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete an entry (it stays in history and can be restored).")
    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            try s.write(as: store.officerName) { tx in try tx.delete(rid) }
            print(rid)
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore a deleted entry.")
    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            try s.write(as: store.officerName) { tx in try tx.restore(rid) }
            print(rid)
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one entry: its fields, conflict siblings and version vector.")
    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            guard let record = try s.record(rid) else { throw StoreError(.unknownRecord, "no entry \(rid)") }
            print("\(record.id)  \(record.kind)\(record.isDeleted ? "  (deleted)" : "")")
            for name in record.fields.keys.sorted() {
                let register = record.fields[name]!
                guard let winner = register.winner, !(winner.value.isNull && register.entries.count == 1) else { continue }
                print("  \(name.rawValue) = \(winner.value.displayText)   [\(winner.dot)]\(register.inConflict ? "  CONFLICT" : "")")
                for sibling in register.siblings { print("      also \(sibling.value.displayText)   [\(sibling.dot)]") }
            }
            if record.isDeletedInConflict { print("  deleted flag in conflict: deleted on one side, edited on another") }
            print("  vector \(record.vector)")
        }
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every change of an entry, in causal order.")
    @OptionGroup var store: StoreOptions
    @Argument var id: String

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            let rid = try s.resolveID(id)
            for change in try s.history(of: rid) {
                let time = Date(timeIntervalSince1970: Double(change.wallTime) / 1000)
                let fields = change.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.isNull ? "(unset)" : $0.value.displayText)" }
                print("\(change.dot)  \(time)  \(change.officer)  \(change.operation.rawValue) \(fields.joined(separator: " "))")
            }
        }
    }
}

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the entries in conflict.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try DaftarCLI.run {
            let s = try store.open()
            for record in try s.conflicts() {
                let names = record.conflictingFields.map(\.rawValue) + (record.isDeletedInConflict ? ["(deleted)"] : [])
                print("\(record.id)  \(record.kind)  \(names.joined(separator: ", "))")
            }
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the store file with SQLite's integrity check.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try DaftarCLI.run {
            let problems = try store.open().integrityCheck()
            if problems.isEmpty {
                print("ok")
            } else {
                problems.forEach { print($0) }
                throw ExitCode(1)
            }
        }
    }
}

struct Fork: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recover from a fork: a store copied by hand and used twice.",
        discussion: """
            On each store that holds the branch that does not live:
              daftar fork discard ORIGIN --from SEQ
            re-issues that branch's changes under a new node id (the same on every store), so nothing is lost.
            On the stores whose branch lives:
              daftar fork keep ORIGIN
            forgets the fork once the others have discarded their branch.
            """,
        subcommands: [Discard.self, Keep.self])

    struct Discard: ParsableCommand {
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id whose history forked.") var origin: String
        @Option(help: "The first seq of the branch to discard (where the histories differ).") var from: UInt64

        func run() throws {
            try DaftarCLI.run {
                let s = try store.open()
                let report = try s.discardBranch(of: try NodeID(origin), from: from)
                print("re-issued \(report.reissued) changes of \(report.origin) from seq \(report.fromSeq) as \(report.newNode)")
                for (old, new) in report.renamed.sorted(by: { $0.key < $1.key }) { print("  \(old) is now \(new)") }
                if report.tookNewIdentity { print("this store is now node \(report.newNode)") }
            }
        }
    }

    struct Keep: ParsableCommand {
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id whose history forked.") var origin: String

        func run() throws {
            try DaftarCLI.run {
                try store.open().keepBranch(of: try NodeID(origin))
                print("kept this store's history of \(origin)")
            }
        }
    }
}
