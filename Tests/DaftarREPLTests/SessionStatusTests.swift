import DaftarModel
import DaftarStore
import Foundation
internal import GRDB
import Synchronization
import Testing
import DaftarTesting

@testable import DaftarREPL

/// A folder in the system's temporary directory that removes itself.
final class ScratchFolder: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Messages a callback was given, from any thread.
final class Told: Sendable {
    private let messages = Mutex<[String]>([])
    func append(_ message: String) { messages.withLock { $0.append(message) } }
    var all: [String] { messages.withLock { $0 } }
}

/// What `status` and `conflicts ID` tell an operator about trouble the store keeps: a failing
/// index, and values that won only by a clock that ran ahead. Real stores, a real Session.
@Suite(.timeLimit(.minutes(5))) struct SessionStatusTests {
    /// The lines of an output that start with `prefix`.
    func lines(_ output: Session.Output, startingWith prefix: String) -> [Substring] {
        output.text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }

    /// A failure of the index's background upkeep is kept by the store, told to onBackgroundError with the index file's path, and shown by `status` on a line starting with `index`.
    @Test func backgroundIndexFailure_isKeptToldAndShownByStatus() async throws {
        let folder = try ScratchFolder()
        let path = folder.file("office.daftar")
        let indexPath = path + "-index"
        let told = Told()
        let store = try Store.create(at: path, node: node("fia-lahore"), options: Store.Options(onBackgroundError: { told.append($0) }))
        let session = Session(store: store, officer: "Insp. Rashid")
        #expect(session.run("add person name=Ali").ok)
        try store.updateIndex()
        #expect(store.indexProblem() == nil)
        #expect(lines(session.run("status"), startingWith: "index").isEmpty)

        // The index file is broken for real, from a connection of its own.
        var config = Configuration()
        config.busyMode = .timeout(30)
        let other = try DatabaseQueue(path: indexPath, configuration: config)
        try await other.write { db in try db.execute(sql: "DROP TABLE meta") }
        // A write schedules the background upkeep, which now fails.
        #expect(session.run("add person name=Bilal").ok)
        var rounds = 0
        while rounds < 200, store.indexProblem() == nil || told.all.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            rounds += 1
        }
        let problem = try #require(store.indexProblem(), "no index problem kept after \(rounds * 50) ms")
        #expect(problem.message.contains(indexPath), "\(problem.message)")
        #expect(problem.atMilliseconds > 0)
        #expect(told.all.contains { $0.contains(indexPath) }, "\(told.all)")
        let shown = lines(session.run("status"), startingWith: "index")
        #expect(shown.count == 1)
        #expect(shown.first?.contains(indexPath) == true, "\(shown)")
        #expect(shown.first?.contains("failed") == true, "\(shown)")
    }

    /// `status` names, on a line starting with `skewed`, a value that won only because its office's clock ran two hours ahead, and `conflicts ID` notes that side's clock.
    @Test func skewedWin_isNamedByStatus_andNotedByConflicts() throws {
        let folder = try ScratchFolder()
        let twoHoursAhead = Store.Options(wallClock: { Store.Options.systemClock() + 2 * 3_600_000 })
        let lahore = try Store.create(at: folder.file("lahore.daftar"), node: node("fia-lahore"))
        let gwadar = try Store.create(at: folder.file("gwadar.daftar"), node: node("coastal-gwadar"), options: twoHoursAhead)
        let central = try Store.create(at: folder.file("central.daftar"), node: node("central"))
        let id = try lahore.add(kind: kind("incident"), fields: [field("title"): .text("Raid"), field("status"): .text("open")], as: "Rashid")
        _ = try gwadar.merge(from: lahore)
        // Both offices edit the same field, neither having seen the other's edit.
        try lahore.write(as: "Rashid") { try $0.set(id, [field("status"): .text("closed")]) }
        try gwadar.write(as: "Naveed") { try $0.set(id, [field("status"): .text("referred")]) }
        _ = try central.merge(from: lahore)
        _ = try central.merge(from: gwadar)

        let session = Session(store: central, officer: "Analyst")
        let status = session.run("status")
        #expect(status.ok)
        let skewed = lines(status, startingWith: "skewed")
        #expect(skewed.count == 1, "\(status.text)")
        #expect(skewed.first?.contains("\(id) status") == true, "\(skewed)")
        #expect(skewed.first?.contains("coastal-gwadar:1") == true, "\(skewed)")
        #expect(skewed.first?.contains("coastal-gwadar's clock ran") == true, "\(skewed)")

        let sides = session.run("conflicts \(id)")
        #expect(sides.ok, "\(sides.error ?? "")")
        let notes = lines(sides, startingWith: "note:")
        #expect(notes.count == 1, "\(sides.text)")
        #expect(notes.first?.contains("side 1 (coastal-gwadar:1)") == true, "\(notes)")
        #expect(notes.first?.contains("was stamped by a clock that ran") == true, "\(notes)")
        #expect(notes.first?.contains("ahead") == true, "\(notes)")
    }

    /// A key fork (a node the registry binds to two keys, neither replacing the other) is shown by
    /// `status` with both statements, in text and in JSON.
    @Test func aKeyFork_isShownWithBothStatements() throws {
        let folder = try ScratchFolder()
        func make(_ node: String, _ file: String) throws -> Store { try Store.create(at: folder.file(file), node: try NodeID(node)) }
        let central = try make("central", "central.daftar")
        let hub = try make("punjab-hub", "hub.daftar")
        let okara = try make("fia-okara", "okara.daftar")
        let impostor = try make("fia-okara", "impostor.daftar")
        try central.writeGrant(for: hub.node, .register(read: [.general], write: [.general]), as: "Admin")
        try central.writeGrant(for: okara.node, .register(read: [.general], write: [.general]), as: "Admin")
        try hub.enroll(at: central)
        try central.writeDelegation(hub: hub.node, nodes: [okara.node], as: "Admin")
        // The hub holds the delegation; the central node binds okara's real key after that.
        let registry: @Sendable (Scope) -> Bool = { $0 == .registry }
        let statements = try central.changes(missingFrom: try hub.knowledge(), scopes: registry).changes
        #expect(try hub.apply(statements, takesScope: registry).stop == nil)
        try okara.enroll(at: central)
        #expect(try hub.bindKey(of: okara.node, try #require(try impostor.publicKey()), as: "hub") == .bound)
        let fromHub = try hub.changes(missingFrom: try central.knowledge(), scopes: registry).changes
        #expect(try central.apply(fromHub, takesScope: registry).stop == nil)

        let session = Session(store: central, officer: "Analyst")
        let status = session.run("status")
        let forks = lines(status, startingWith: "KEY FORK")
        #expect(forks.count == 1, "\(status.text)")
        #expect(forks.first?.contains("fia-okara") == true && forks.first?.contains("by statement central:") == true, "\(forks)")
        #expect(forks.first?.contains("by statement punjab-hub:") == true && forks.first?.contains("daftar node revoke fia-okara") == true, "\(forks)")
        #expect(session.run("json on").ok)
        let json = session.run("status")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any], "\(json.text)")
        #expect((document["keyForks"] as? [String])?.count == 1, "\(document)")
    }
}
