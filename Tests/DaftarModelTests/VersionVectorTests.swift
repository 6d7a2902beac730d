import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

/// Node ids used by generated vectors; small on purpose, so vectors overlap often.
private let nodes = ["a", "b", "c", "fia-lahore"].map(node)

/// Vectors over `nodes` with small counters (0 means absent).
private let genVector = Gen.uint64(in: 0...4).array(of: 4).map { seqs in
    VersionVector(Array(zip(nodes, seqs)))
}

private let genDot = zip(Gen.int(in: 0...3), Gen.uint64(in: 1...5)).map { i, s in
    Dot(origin: nodes[i], seq: s)
}

/// The order of two vectors straight from the definition, over `nodes`.
private func pointwiseOrder(_ a: VersionVector, _ b: VersionVector) -> VersionVector.Order {
    let less = nodes.contains { a[$0] < b[$0] }
    let greater = nodes.contains { a[$0] > b[$0] }
    switch (less, greater) {
    case (false, false): return .equal
    case (true, false): return .before
    case (false, true): return .after
    case (true, true): return .concurrent
    }
}

@Suite struct VersionVectorTests {
    // MARK: Basics

    @Test func emptyVectorHoldsZeroForEveryNode() {
        let v = VersionVector()
        #expect(v.isEmpty)
        #expect(v[node("a")] == 0)
        #expect(v.description == "[]")
        #expect(!v.covers(Dot(origin: node("a"), seq: 1)))
    }

    @Test func pairsInAnyOrderKeepHighestAndDropZeros() {
        let v = vv([("c", 2), ("a", 1), ("b", 0), ("a", 5), ("c", 1)])
        #expect(v.entries.map(\.node.rawValue) == ["a", "c"])
        #expect(v[node("a")] == 5)
        #expect(v[node("b")] == 0)
        #expect(v[node("c")] == 2)
        #expect(v.description == "[a:5 c:2]")
    }

    @Test func subscriptSetKeepsEntriesSortedAndZeroRemoves() {
        var v = VersionVector()
        v[node("m")] = 3
        v[node("b")] = 1
        v[node("z")] = 9
        v[node("d")] = 2
        #expect(v.entries.map(\.node.rawValue) == ["b", "d", "m", "z"])
        v[node("m")] = 4
        #expect(v[node("m")] == 4)
        v[node("d")] = 0
        #expect(v.entries.map(\.node.rawValue) == ["b", "m", "z"])
        v[node("q")] = 0
        #expect(v.entries.count == 3)
    }

    @Test func dotInitializerHoldsOnlyThatDot() {
        let d = Dot(origin: node("fia-lahore"), seq: 1042)
        let v = VersionVector(d)
        #expect(v.entries.count == 1)
        #expect(v[d.origin] == 1042)
        #expect(v.covers(d))
        #expect(v.covers(Dot(origin: d.origin, seq: 1)))
        #expect(!v.covers(Dot(origin: d.origin, seq: 1043)))
    }

    @Test func compareExamples() {
        #expect(vv([("a", 1)]).compare(vv([("a", 1)])) == .equal)
        #expect(VersionVector().compare(VersionVector()) == .equal)
        #expect(vv([("a", 1)]).compare(vv([("a", 2)])) == .before)
        #expect(vv([("a", 2)]).compare(vv([("a", 1)])) == .after)
        #expect(VersionVector().compare(vv([("a", 1)])) == .before)
        #expect(vv([("a", 1)]).compare(vv([("a", 1), ("b", 1)])) == .before)
        #expect(vv([("a", 1), ("b", 1)]).compare(vv([("b", 1)])) == .after)
        #expect(vv([("a", 2)]).compare(vv([("b", 1)])) == .concurrent)
        #expect(vv([("a", 2), ("b", 1)]).compare(vv([("a", 1), ("b", 2)])) == .concurrent)
    }

    @Test func jsonRoundTripAndShape() throws {
        let v = vv([("fia-lahore", 3), ("central", 12)])
        let data = try JSONEncoder().encode(v)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Int]
        #expect(object == ["fia-lahore": 3, "central": 12])
        #expect(try JSONDecoder().decode(VersionVector.self, from: data) == v)
    }

    @Test func jsonWithBadNodeIDIsRefused() {
        let data = Data(#"{"Not A Node": 1}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(VersionVector.self, from: data) }
    }

    /// A 0 entry would be dropped from the hash while a foreign reader kept it: refused.
    @Test func jsonZeroCountersAreRefused() throws {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(VersionVector.self, from: Data(#"{"a": 0, "b": 2}"#.utf8)) }
        #expect(try JSONDecoder().decode(VersionVector.self, from: Data(#"{"a": 1, "b": 2}"#.utf8)) == vv([("a", 1), ("b", 2)]))
    }

    // MARK: Laws (property tests)

    @Test func compareMatchesPointwiseDefinition() async {
        await propertyCheck(count: 300, input: genVector, genVector) { a, b in
            #expect(a.compare(b) == pointwiseOrder(a, b))
        }
    }

    @Test func compareIsAntisymmetric() async {
        await propertyCheck(count: 300, input: genVector, genVector) { a, b in
            let ab = a.compare(b)
            let ba = b.compare(a)
            switch ab {
            case .equal: #expect(ba == .equal); #expect(a == b)
            case .before: #expect(ba == .after)
            case .after: #expect(ba == .before)
            case .concurrent: #expect(ba == .concurrent)
            }
        }
    }

    @Test func compareIsReflexive() async {
        await propertyCheck(count: 100, input: genVector) { a in
            #expect(a.compare(a) == .equal)
        }
    }

    @Test func mergeIsCommutative() async {
        await propertyCheck(count: 300, input: genVector, genVector) { a, b in
            #expect(a.merging(b) == b.merging(a))
        }
    }

    @Test func mergeIsAssociative() async {
        await propertyCheck(count: 300, input: genVector, genVector, genVector) { a, b, c in
            #expect(a.merging(b).merging(c) == a.merging(b.merging(c)))
        }
    }

    @Test func mergeIsIdempotent() async {
        await propertyCheck(count: 200, input: genVector, genVector) { a, b in
            #expect(a.merging(a) == a)
            let ab = a.merging(b)
            #expect(ab.merging(b) == ab)
            #expect(ab.merging(a) == ab)
        }
    }

    @Test func mergeIsPointwiseMaximumAndLeastUpperBound() async {
        await propertyCheck(count: 300, input: genVector, genVector) { a, b in
            let m = a.merging(b)
            for n in nodes { #expect(m[n] == max(a[n], b[n])) }
            #expect([.after, .equal].contains(m.compare(a)))
            #expect([.after, .equal].contains(m.compare(b)))
            #expect(a.merging(VersionVector()) == a)
            var mutated = a
            mutated.merge(b)
            #expect(mutated == m)
            // Entries stay sorted, unique and non-zero, so equal vectors encode the same.
            #expect(zip(m.entries, m.entries.dropFirst()).allSatisfy { $0.node < $1.node })
            #expect(m.entries.allSatisfy { $0.seq > 0 })
        }
    }

    @Test func coversIsCounterAtOrPastSeq() async {
        await propertyCheck(count: 300, input: genVector, genDot) { v, d in
            #expect(v.covers(d) == (v[d.origin] >= d.seq))
        }
    }

    @Test func mergedVectorCoversWhatEitherCovers() async {
        await propertyCheck(count: 300, input: genVector, genVector, genDot) { a, b, d in
            #expect(a.merging(b).covers(d) == (a.covers(d) || b.covers(d)))
        }
    }

    @Test func laterVectorCoversEveryDotTheEarlierCovers() async {
        await propertyCheck(count: 300, input: genVector, genVector, genDot) { a, b, d in
            if [.before, .equal].contains(a.compare(b)), a.covers(d) {
                #expect(b.covers(d))
            }
        }
    }

    @Test func pairOrderDoesNotMatter() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...4).array(of: 4), Gen.uint64()) { seqs, seed in
            var pairs = Array(zip(nodes, seqs))
            let v = VersionVector(pairs)
            var rng = SplitMix64(seed: seed)
            pairs.shuffle(using: &rng)
            #expect(VersionVector(pairs) == v)
            #expect(v.hashValue == VersionVector(pairs).hashValue)
        }
    }

    @Test func jsonRoundTripProperty() async throws {
        await propertyCheck(count: 100, input: genVector) { v in
            let data = try JSONEncoder().encode(v)
            #expect(try JSONDecoder().decode(VersionVector.self, from: data) == v)
        }
    }
}
