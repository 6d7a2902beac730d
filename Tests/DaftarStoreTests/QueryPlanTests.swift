import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// Every plan a find or count can take (the index alone, an ordered walk, collected candidates,
/// creation order, the general statement) answers as a plain reading of every entry would:
/// random stores of entries of three kinds with fields of mixed types, some missing, some
/// deleted, and random queries with kinds, conditions, orderings, limits and offsets.
@Suite(.serialized) struct QueryPlanTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    static let kinds = ["person", "vehicle", "case"].map(kind)
    static let cities = ["Lahore", "Karachi", "Quetta", "lahore", "Ali Town", "لاہور", "LAHORE_50%"]

    /// A value of field `f` for entry `i`: missing, a number, a decimal, text or a boolean.
    static func value(_ rng: inout SplitMix) -> FieldValue? {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return nil
        case 1, 2: return .integer(Int64.random(in: 18...80, using: &rng))
        case 3:
            let forms = ["\(Int.random(in: 1...99, using: &rng)).5", "0.00005", "25.0", "1234567.123456789", "2.5"]
            return .decimal(try! ExactDecimal(forms[Int.random(in: 0..<forms.count, using: &rng)]))
        case 4: return .boolean(Bool.random(using: &rng))
        default: return .text(cities[Int.random(in: 0..<cities.count, using: &rng)])
        }
    }

    /// What the query means, read from every entry.
    static func expected(_ all: [(num: Int, state: RecordState)], _ query: Query) -> [String] {
        var found = all.filter { entry in
            !entry.state.isDeleted && (query.kind == nil || entry.state.kind == query.kind)
                && (query.condition.map { QuerySQL.evaluate($0, entry.state) } ?? true)
        }
        if let ordering = query.ordering.first, let field = ordering.field {
            func rank(_ v: FieldValue?) -> Int {
                switch v {
                case .integer?, .decimal?: 0
                case .text?: 1
                case .boolean?: 2
                default: 3
                }
            }
            found.sort { a, b in
                let (va, vb) = (a.state.values[field], b.state.values[field])
                if (va == nil) != (vb == nil) { return va != nil }
                if va == nil { return a.num < b.num }
                if rank(va) != rank(vb) { return ordering.descending ? rank(va) > rank(vb) : rank(va) < rank(vb) }
                var order = 0
                switch (va!, vb!) {
                case (.text(let x), .text(let y)): order = x == y ? 0 : (Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8)) ? -1 : 1)
                case (.boolean(let x), .boolean(let y)): order = x == y ? 0 : (!x ? -1 : 1)
                default: order = va!.compare(to: vb!) ?? 0
                }
                if order != 0 { return ordering.descending ? order > 0 : order < 0 }
                return ordering.descending ? a.num > b.num : a.num < b.num
            }
        }
        let ids = found.map(\.state.id.description).dropFirst(query.offset)
        return Array(query.limit.map { ids.prefix($0) } ?? ids)
    }

    /// Off the shared threads: seconds of work, and servers of other suites run there.
    @Test(arguments: [1, 2, 3])
    func everyPlanAgreesWithAPlainReading(seed: UInt64) async throws {
        try await offThePool { [self] () throws -> Void in try check(seed: seed) }
    }

    /// A count with `contains` tests each distinct text value of the field once while there are
    /// few of them, and reads every entry past `QueryPlan.distinctWalk` of them: both agree with
    /// a plain reading, with numbers, Urdu and deleted entries among them.
    @Test func countWithContains_fewAndManyDistinctValues() async throws {
        #expect(QueryPlan.distinctWalk == 4_096)
        try await offThePool { [self] () throws -> Void in
            let store = try Store.make("contains-count", in: folder)
            let person = kind("person")
            let names = ["Ali Qureshi", "QURESHI Bros", "Sana Malik", "علی قریشی", "Imran Khan"]
            var ids: [RecordID] = []
            try store.write(as: "t") { tx in
                for i in 0..<600 {
                    ids.append(try tx.add(kind: person, fields: [name("name"): .text(names[i % names.count]), name("tag"): .text("T-\(i)-qureshi-\(i % 7)")]))
                }
                for i in 0..<QueryPlan.distinctWalk + 50 {
                    try tx.add(kind: person, fields: [name("tag"): .text("tag \(i)"), name("name"): .integer(Int64(i))])
                }
                for id in ids.prefix(40) { try tx.delete(id) }
            }
            let all = try store.allRecords().map { (num: Int($0.id.description.split(separator: "-").last!)!, state: $0) }
            for (field, word) in [("name", "qureshi"), ("name", "قری"), ("name", "12"), ("tag", "qureshi-3"), ("tag", "tag 40"), ("tag", "1"), ("name", "zzz")] {
                var query = Query()
                query.kind = person
                query.condition = .compare(name(field), .contains, .text(word))
                let want = Self.expected(all, query).count
                #expect(try store.count(query) == want, "\(field) contains \(word)")
                #expect(want > 0 || word == "zzz", "\(field) contains \(word) finds something")
                // Which way it was counted: name's 5 distinct texts are walked; tag's 4,746 are not.
                let walked = try store.read { db in try QueryPlan(db: db, query: query).containsCount(name(field), person, word) }
                #expect((walked != nil) == (field == "name"), "\(field) contains \(word): walked \(String(describing: walked))")
                if let walked { #expect(walked == want) }
            }
        }
    }

    /// The walk takes a field of exactly `distinctWalk` distinct texts, and gives up at one more.
    @Test func containsCountWalksUpToTheLimitExactly() async throws {
        try await offThePool { [self] () throws -> Void in
            let store = try Store.make("contains-limit", in: folder)
            let person = kind("person")
            try store.write(as: "t") { tx in
                for i in 0..<QueryPlan.distinctWalk { try tx.add(kind: person, fields: [name("a"): .text("v\(i)"), name("b"): .text("w\(i)")]) }
                try tx.add(kind: person, fields: [name("b"): .text("extra")])
            }
            for (field, walks) in [("a", true), ("b", false)] {
                var query = Query()
                query.kind = person
                query.condition = .compare(name(field), .contains, .text("1"))
                let walked = try store.read { db in try QueryPlan(db: db, query: query).containsCount(name(field), person, "1") }
                #expect((walked != nil) == walks, "\(field): \(String(describing: walked))")
                let all = try store.allRecords().map { (num: Int($0.id.description.split(separator: "-").last!)!, state: $0) }
                #expect(try store.count(query) == Self.expected(all, query).count)
            }
        }
    }

    func check(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let store = try Store.make("office-\(seed)", in: folder)
        let fields = ["city", "age", "rank"].map(name)
        var added: [RecordID] = []
        try store.write(as: "t") { tx in
            for _ in 0..<400 {
                var values: [FieldName: FieldValue] = [:]
                for f in fields { if let v = Self.value(&rng) { values[f] = v } }
                added.append(try tx.add(kind: Self.kinds[Int.random(in: 0..<3, using: &rng)], fields: values))
            }
        }
        // Some deleted, some edited later (their index rows move).
        var deleted = Set<RecordID>()
        try store.write(as: "t") { tx in
            for id in added where Int.random(in: 0..<8, using: &rng) == 0 {
                try tx.delete(id)
                deleted.insert(id)
            }
            for id in added where Int.random(in: 0..<8, using: &rng) == 0 && !deleted.contains(id) {
                if let v = Self.value(&rng) { try tx.set(id, [name("city"): v]) }
            }
        }
        let all = try store.allRecords().map { state in (num: Int(state.id.description.split(separator: "-").last!)!, state: state) }.sorted { $0.num < $1.num }
        for round in 0..<150 {
            var query = Query()
            if Int.random(in: 0..<4, using: &rng) > 0 { query.kind = Self.kinds[Int.random(in: 0..<3, using: &rng)] }
            let field = fields[Int.random(in: 0..<3, using: &rng)]
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: break
            case 1: query.condition = .compare(field, .equal, Self.value(&rng) ?? .text("Lahore"))
            case 2:
                let bound: FieldValue = Bool.random(using: &rng) ? .integer(Int64.random(in: 20...70, using: &rng)) : .decimal(try! ExactDecimal("2.5"))
                query.condition = .compare(field, [.less, .lessOrEqual, .greater, .greaterOrEqual][Int.random(in: 0..<4, using: &rng)], bound)
            case 3: query.condition = .compare(field, .contains, .text(["ahore", "a", "4", "Town", "لاه", "_5", "%", "e_", "00005", "6789", "0"][Int.random(in: 0..<11, using: &rng)]))
            case 4: query.condition = .compare(field, .notEqual, .text("Lahore"))
            case 5:
                query.condition = .and(.compare(name("city"), .equal, .text("Lahore")), .compare(name("age"), .greaterOrEqual, .integer(30)))
            default:
                query.condition = .or(.compare(name("city"), .equal, .text("Quetta")), .compare(name("rank"), .less, .integer(40)))
            }
            if Int.random(in: 0..<3, using: &rng) > 0 { query.ordering = [.init(field: fields[Int.random(in: 0..<3, using: &rng)], descending: Bool.random(using: &rng))] }
            if Int.random(in: 0..<4, using: &rng) > 0 { query.limit = Int.random(in: 1...30, using: &rng) }
            if Int.random(in: 0..<2, using: &rng) > 0 { query.offset = Int.random(in: 0...120, using: &rng) }
            let got = try store.find(query).map(\.id.description)
            let want = Self.expected(all, query)
            #expect(got == want, "round \(round): \(query)")
            var counted = query
            counted.limit = nil
            counted.offset = 0
            counted.ordering = []
            #expect(try store.count(counted) == Self.expected(all, counted).count, "count, round \(round): \(query)")
        }
    }
}
