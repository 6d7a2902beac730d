import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

/// Valid node ids: a letter or digit, then up to 62 of a-z 0-9 '-'.
private let genNodeID = zip(
    Gen.element(of: Array("abcdefghijklmnopqrstuvwxyz0123456789")),
    Gen.element(of: Array("abcxyz0189-")).array(of: 0...62)
).map { first, rest in node(String(first!) + String(rest.map { $0! })) }

/// Scope names follow node ids' rules; a bad one is refused by name, made or read from JSON.
@Suite struct ScopeTests {
    @Test func validAndInvalidScopes() throws {
        #expect(try Scope("punjab").rawValue == "punjab")
        #expect(Scope.general.rawValue == "general" && Scope.registry.rawValue == "registry")
        for raw in ["", "Punjab", "ct wing", "-x", "پنجاب", String(repeating: "s", count: 64)] {
            let error = expectValidationError(.invalidScope) { _ = try Scope(raw) }
            #expect(error?.message.contains("is not a scope name") == true && error?.message.contains("for example punjab") == true, "\(raw)")
        }
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(Scope.self, from: Data(#""CT Wing""#.utf8)) }
        #expect(try JSONDecoder().decode(Scope.self, from: Data(#""ct-wing""#.utf8)) == Scope("ct-wing"))
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(ChainLink.self, from: Data(#"{"seq":1,"hash":"00","extra":1}"#.utf8)) }
    }
}

@Suite struct NodeIDTests {
    @Test(arguments: ["fia-lahore", "central", "punjab-hub", "a", "7", "1st-office", "fia-lahore-2", "x-", "a--b", String(repeating: "z", count: 63)])
    func validNodeIDs(raw: String) throws {
        let id = try NodeID(raw)
        #expect(id.rawValue == raw)
        #expect(id.description == raw)
        #expect(NodeID.isValid(raw))
    }

    @Test(arguments: [
        "", "-fia", "Fia-lahore", "fia_lahore", "fia lahore", "fia.lahore", "fia/lahore", "لاہور", "fiä", "FIA",
        String(repeating: "z", count: 64), " fia", "fia\n",
    ])
    func invalidNodeIDs(raw: String) {
        #expect(!NodeID.isValid(raw))
        let error = expectValidationError(.invalidNodeID) { _ = try NodeID(raw) }
        // The message names the bad input and says what a node id looks like.
        #expect(error?.message.contains("'\(raw.prefix(80))'") == true)
        #expect(error?.message.contains("is not a node id") == true)
        #expect(error?.message.contains("1 to 63 characters of a-z, 0-9 and '-'") == true)
        #expect(error?.message.contains("fia-lahore") == true)
    }

    @Test func longBadInputIsCutInTheMessage() {
        let raw = String(repeating: "Z", count: 500)
        let error = expectValidationError(.invalidNodeID) { _ = try NodeID(raw) }
        #expect(error?.message.contains(String(repeating: "Z", count: 80)) == true)
        #expect(error?.message.contains(String(repeating: "Z", count: 81)) == false)
    }

    @Test func orderAndJSON() throws {
        #expect(node("central") < node("fia-lahore"))
        let data = try JSONEncoder().encode([node("fia-lahore")])
        #expect(String(decoding: data, as: UTF8.self) == #"["fia-lahore"]"#)
        #expect(try JSONDecoder().decode([NodeID].self, from: data) == [node("fia-lahore")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([NodeID].self, from: Data(#"["Bad"]"#.utf8)) }
    }

    @Test func dotOrderAndDescription() {
        let a1 = Dot(origin: node("a"), seq: 1)
        let a2 = Dot(origin: node("a"), seq: 2)
        let b1 = Dot(origin: node("b"), seq: 1)
        #expect(a1 < a2)
        #expect(a2 < b1)
        #expect(!(a1 < a1))
        #expect(a2.description == "a:2")
    }
}

@Suite struct RecordIDTests {
    @Test(arguments: [
        ("fia-lahore-1042", "fia-lahore", UInt64(1042)),
        ("central-1", "central", 1),
        ("punjab-hub-2-7", "punjab-hub-2", 7),  // node ids ending in digits read back by the last '-'
        ("7-9", "7", 9),
        ("x--3", "x-", 3),
        ("a-18446744073709551615", "a", UInt64.max),
    ])
    func parses(raw: String, origin: String, seq: UInt64) throws {
        let id = try RecordID(raw)
        #expect(id.dot == Dot(origin: node(origin), seq: seq))
        #expect(id.description == raw)
    }

    @Test(arguments: [
        "", "fia", "fia-", "-5", "fia-0", "fia-01", "fia-x", "fia-1x", "Fia-1", "fia_lahore-1", "fia-1.5",
        "fia-18446744073709551616", " fia-1", "fia-1 ", "fia-١",
    ])
    func invalidRecordIDs(raw: String) {
        let error = expectValidationError(.invalidRecordID) { _ = try RecordID(raw) }
        #expect(error?.message.contains("'\(raw)' is not a record id") == true)
        #expect(error?.message.contains("for example fia-lahore-1042") == true)
    }

    /// A record id has one spelling: its description. Signs are not part of the number.
    @Test(arguments: ["fia-+5", "fia-lahore-+1042"])
    func signedSequenceNumberIsRefused(raw: String) {
        expectValidationError(.invalidRecordID) { _ = try RecordID(raw) }
    }

    @Test func descriptionRoundTripProperty() async {
        await propertyCheck(count: 200, input: genNodeID, Gen.uint64(in: 1...UInt64.max)) { origin, seq in
            let id = RecordID(Dot(origin: origin, seq: seq))
            let parsed = try RecordID(id.description)
            #expect(parsed == id)
            #expect(parsed.dot.origin == origin)
            #expect(parsed.dot.seq == seq)
        }
    }

    @Test func orderAndJSON() throws {
        let a = try RecordID("fia-lahore-9")
        let b = try RecordID("fia-lahore-10")
        #expect(a < b)  // by dot, not by text
        let data = try JSONEncoder().encode([b])
        #expect(String(decoding: data, as: UTF8.self) == #"["fia-lahore-10"]"#)
        #expect(try JSONDecoder().decode([RecordID].self, from: data) == [b])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([RecordID].self, from: Data(#"["fia-0"]"#.utf8)) }
    }
}

@Suite struct KindTests {
    @Test(arguments: ["incident", "case", "person", "call_centre_raid", "_x", "Vehicle", "seizure2", "a", String(repeating: "k", count: 64)])
    func validKinds(raw: String) throws {
        #expect(try Kind(raw).rawValue == raw)
        #expect(try Kind(raw).description == raw)
    }

    @Test func emptyKindHasItsOwnMessage() {
        let error = expectValidationError(.invalidKind) { _ = try Kind("") }
        #expect(error?.message == "the kind is empty: name what the entry is, for example incident, person or vehicle")
    }

    @Test(arguments: ["1abc", "call-centre", "call centre", "ünï", "واقعہ", "a.b", String(repeating: "k", count: 65), " incident"])
    func invalidKinds(raw: String) {
        let error = expectValidationError(.invalidKind) { _ = try Kind(raw) }
        #expect(error?.message.contains("'\(raw.prefix(80))' is not a kind") == true)
        #expect(error?.message.contains("up to 64 English letters (a-z, A-Z), digits and '_'") == true)
        #expect(error?.message.contains("call_centre_raid") == true)
    }

    @Test func orderAndJSON() throws {
        #expect(kind("case") < kind("incident"))
        let data = try JSONEncoder().encode([kind("person")])
        #expect(try JSONDecoder().decode([Kind].self, from: data) == [kind("person")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Kind].self, from: Data(#"[""]"#.utf8)) }
    }
}

@Suite struct FieldNameTests {
    @Test(arguments: ["title", "cnic", "seized_at", "_private", "A1", "x9_9", String(repeating: "f", count: 64)])
    func validFieldNames(raw: String) throws {
        #expect(try FieldName(raw).rawValue == raw)
    }

    @Test(arguments: ["", "9lives", "seized-at", "seized at", "نام", "naïve", "a$", String(repeating: "f", count: 65)])
    func invalidFieldNames(raw: String) {
        let error = expectValidationError(.invalidFieldName) { _ = try FieldName(raw) }
        #expect(error?.message.contains("'\(raw.prefix(80))' is not a field name") == true)
        #expect(error?.message.contains("for example cnic or seized_at") == true)
    }

    @Test func dictionaryKeyedByFieldNameIsAJSONObject() throws {
        let map: [FieldName: FieldValue] = [field("cnic"): .text("03001234567"), field("age"): .integer(30)]
        let data = try JSONEncoder().encode(map)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["cnic", "age"])
        #expect(try JSONDecoder().decode([FieldName: FieldValue].self, from: data) == map)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode([FieldName: FieldValue].self, from: Data(#"{"bad-name": 1}"#.utf8))
        }
    }

    @Test func orderIsByName() {
        let names = ["title", "cnic", "age", "_x", "Zed"].map(field).sorted()
        #expect(names.map(\.rawValue) == ["Zed", "_x", "age", "cnic", "title"])
    }
}
