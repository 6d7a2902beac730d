import Testing

@testable import DaftarModel

/// A grant statement: read scopes, write ranges of the node's seqs, closures final, and the
/// registry record's text fields read back exactly.
@Suite struct GrantTests {
    let punjab = try! Scope("punjab")
    let sindh = try! Scope("sindh")

    @Test func openWithdrawAndReopen() {
        var grant = Grant(node: node("fia-kasur"))
        grant.open(read: [sindh], write: [punjab], from: 1)
        #expect(grant.read == [punjab, sindh])
        #expect(grant.mayRead(punjab) && grant.mayRead(.registry) && !grant.mayRead(.general))
        #expect(grant.mayWrite(punjab, at: 1) && grant.mayWrite(punjab, at: 1_000_000) && !grant.mayWrite(sindh, at: 1))
        // Closed at seq 40: what it writes there after 40 does not count; the closure is final.
        grant.withdraw(punjab, through: 40)
        #expect(!grant.mayRead(punjab) && grant.mayWrite(punjab, at: 40) && !grant.mayWrite(punjab, at: 41))
        #expect(grant.writable.isEmpty)
        // Withdrawn: a server takes what the node still holds of it, until it is granted again.
        #expect(grant.withdrawn == [punjab])
        // A re-grant opens above every closure, even if asked from earlier.
        grant.open(read: [], write: [punjab], from: 10)
        #expect(grant.write[punjab] == [Grant.SeqRange(from: 1, through: 40), Grant.SeqRange(from: 41)])
        #expect(grant.mayRead(punjab) && grant.withdrawn.isEmpty)
        // Reading a granted scope does not open writing.
        grant.open(read: [.general], write: [], from: 50)
        #expect(grant.mayRead(.general) && !grant.mayWrite(.general, at: 60))
        // A closure before a range opened leaves nothing of it.
        var fresh = Grant(node: node("fia-okara"))
        fresh.open(read: [], write: [sindh], from: 5)
        fresh.withdraw(sindh, through: 3)
        #expect(fresh.write[sindh] == nil && fresh.writable.isEmpty)
    }

    @Test func viaReadsBack_andABadViaIsNoGrant() {
        var grant = Grant(node: node("fia-okara"), via: node("punjab-hub"))
        grant.open(read: [punjab], write: [punjab], from: 1)
        #expect(Grant(fields: grant.fields) == grant)
        #expect(grant.fields[field("via")] == .text("punjab-hub"))
        #expect(Grant(node: node("fia-kasur")).fields[field("via")] == .null)
        var fields = grant.fields
        fields[field("via")] = .text("Not A Node")
        #expect(Grant(fields: fields) == nil)
    }

    @Test func fieldsReadBackExactly() {
        var grant = Grant(node: node("fia-kasur"))
        grant.open(read: [sindh, .general], write: [punjab], from: 1)
        grant.withdraw(punjab, through: 7)
        grant.open(read: [], write: [punjab], from: 12)
        let fields = grant.fields
        #expect(fields[try! FieldName("read")] == .text("general,punjab,sindh"))
        #expect(fields[try! FieldName("write")] == .text("punjab:1-7,12-"))
        #expect(fields[try! FieldName("withdrawn")] == .null)
        #expect(Grant(fields: fields) == grant)
        grant.withdraw(sindh, through: 20)
        grant.withdraw(.general, through: 20)
        #expect(grant.fields[try! FieldName("withdrawn")] == .text("general,sindh"))
        #expect(Grant(fields: grant.fields) == grant)
    }

    @Test(arguments: [
        ["node": "Not A Node"],
        ["node": "fia-kasur", "read": "punjab,Bad Scope"],
        ["node": "fia-kasur", "write": "punjab"],
        ["node": "fia-kasur", "write": "punjab:0-"],
        ["node": "fia-kasur", "write": "punjab:1-x"],
        ["node": "fia-kasur", "write": "punjab:a-"],
        ["node": "fia-kasur", "withdrawn": "punjab,-x"],
    ])
    func malformedFieldsAreNoGrant(_ raw: [String: String]) {
        let fields = Dictionary(uniqueKeysWithValues: raw.map { (try! FieldName($0.key), FieldValue.text($0.value)) })
        #expect(Grant(fields: fields) == nil)
    }
}
