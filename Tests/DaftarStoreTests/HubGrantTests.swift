import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// Offices registered via a hub (DESIGN promise 15's last sentence): they get only scopes the
/// hub reads, and a scope withdrawn from the hub is withdrawn from them in the same statement.
@Suite struct HubGrantTests {
    static let punjab = try! Scope("punjab")
    static let national = try! Scope("national")
    static let sindh = try! Scope("sindh")

    @Test func aScopeWithdrawnFromAHub_isWithdrawnFromTheOfficesRegisteredViaIt() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        let hub = try NodeID("punjab-hub")
        let sahiwal = try NodeID("fia-sahiwal")
        let kasur = try NodeID("fia-kasur")
        try central.writeGrant(for: hub, .register(read: [Self.punjab, Self.national], write: []), as: "Admin")
        try central.writeGrant(for: okara.node, .register(read: [Self.punjab], write: [Self.punjab], via: hub), as: "Admin")
        try central.writeGrant(for: sahiwal, .register(read: [Self.national], write: [], via: hub), as: "Admin")
        try central.writeGrant(for: kasur, .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        #expect(try central.grant(of: okara.node)?.via == hub)
        // Via a hub: nothing the hub does not read; nothing via a node without a grant, or via itself.
        let beyond = storeError { try central.writeGrant(for: try NodeID("fia-karachi"), .register(read: [Self.sindh], write: [], via: hub), as: "Admin") }
        #expect(beyond?.message.contains("punjab-hub does not read sindh") == true, "\(String(describing: beyond))")
        #expect(try central.grant(of: try NodeID("fia-karachi")) == nil)
        #expect(storeError { try central.writeGrant(for: try NodeID("fia-karachi"), .register(read: [], write: [], via: try NodeID("nosuch-hub")), as: "Admin") } != nil)
        #expect(storeError { try central.writeGrant(for: hub, .register(read: [], write: [], via: hub), as: "Admin") } != nil)

        // Okara works in punjab, and gets its grant.
        try okara.enroll(at: central)
        try VoidChangeTests.deliver(from: central, to: okara, root: central.node)
        let raid = try okara.write(as: "SI Bano") { try $0.add(kind: kind("case"), fields: [name("title"): text("raid in Okara")], in: Self.punjab) }
        try VoidChangeTests.deliver(from: okara, to: central, root: central.node)

        // Punjab is withdrawn from the hub: from okara too (registered via it, holding punjab),
        // not from sahiwal (via it, without punjab) nor kasur (registered directly).
        let written = try central.writeGrants(for: hub, .withdraw(Self.punjab), as: "Admin")
        #expect(written.map(\.node) == [hub, okara.node])
        #expect(try central.grant(of: hub)?.read == [Self.national])
        let okaraGrant = try #require(try central.grant(of: okara.node))
        #expect(!okaraGrant.mayRead(Self.punjab) && okaraGrant.withdrawn == [Self.punjab])
        #expect(okaraGrant.mayWrite(Self.punjab, at: raid.dot.seq) && !okaraGrant.mayWrite(Self.punjab, at: raid.dot.seq + 1))
        #expect(try central.grant(of: sahiwal)?.read == [Self.national])
        #expect(try central.grant(of: kasur)?.read == [Self.punjab])
        // The statement reaches okara: punjab is hidden there at once, and okara writes it no more.
        try VoidChangeTests.deliver(from: central, to: okara, root: central.node)
        #expect(try okara.heldScopes()?.contains(Self.punjab) == false)
        #expect(try okara.count(Query(kind: kind("case"))) == 0)
        #expect(storeError { _ = try okara.resolveID(raid.description) }?.message.contains("withdrawn") == true)
        #expect(storeError { _ = try okara.write(as: "SI Bano") { try $0.add(kind: kind("case"), fields: [:], in: Self.punjab) } } != nil)
        // The registry record says so, and reads back.
        #expect(Grant(fields: okaraGrant.fields) == okaraGrant)
    }
}
