import Foundation
import Testing

@testable import DaftarModel

/// Knowledge on the wire as a digest per scope with only what changed (DESIGN promise 13): the
/// digest's bytes are the documented ones, a delta over the right base rebuilds the whole, and
/// over any other base it is caught, never read as equality.
@Suite struct KnowledgeDigestTests {
    let punjab = try! Scope("punjab")
    let sindh = try! Scope("sindh")

    func hash(_ byte: UInt8) -> ContentHash { try! ContentHash(bytes: [UInt8](repeating: byte, count: 32)) }

    /// The vectors were computed with Python's hashlib from the text docs/PROTOCOL.md gives.
    @Test func theDigestIsTheDocumentedSHA256() throws {
        var knowledge = Knowledge()
        knowledge.entries[Chain(node("fia-okara"), punjab)] = Knowledge.Entry(seq: 3, hash: hash(0x11))
        knowledge.entries[Chain(node("fia-kasur"), punjab)] = Knowledge.Entry(seq: 12, hash: hash(0xab))
        knowledge.entries[Chain(node("fia-kasur"), sindh)] = Knowledge.Entry(seq: 4, hash: hash(0x22))
        #expect(knowledge.digest(of: punjab).hex == "aa08c8d29a7c384b354688337511c24174d2ab046fd5e42a76eac97ccf214eb7")
        #expect(Knowledge().digest(of: punjab).hex == "38eb4d41c86037d24c5bf1829f90c697397411975e033c99b3e4f3b148f6995a")
        #expect(knowledge.digests(of: [punjab, sindh]).entries[punjab] == knowledge.digest(of: punjab))
        #expect(knowledge.digest(of: sindh) != knowledge.digest(of: punjab))
        // On the wire: scope name to 64 hex digits; a name that is not a scope is refused.
        let digests = knowledge.digests(of: [punjab])
        let json = try JSONEncoder().encode(digests)
        #expect(String(decoding: json, as: UTF8.self) == #"{"punjab":"aa08c8d29a7c384b354688337511c24174d2ab046fd5e42a76eac97ccf214eb7"}"#)
        #expect(try JSONDecoder().decode(KnowledgeDigests.self, from: json) == digests)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KnowledgeDigests.self, from: Data(#"{"Punjab":"00"}"#.utf8)) }
    }

    @Test func aDeltaRebuildsTheWhole_overTheRightBaseOnly() {
        var rng = SplitMix64(seed: 7)
        let scopes = [punjab, sindh, Scope.general]
        let origins = (0..<6).map { node("office-\($0)") }
        func random() -> Knowledge {
            var k = Knowledge()
            for scope in scopes {
                for origin in origins where Bool.random(using: &rng) {
                    k.entries[Chain(origin, scope)] = Knowledge.Entry(seq: UInt64.random(in: 1...4, using: &rng), hash: hash(UInt8.random(in: 1...3, using: &rng)))
                }
            }
            return k
        }
        for _ in 0..<500 {
            let base = random()
            let current = random()
            let delta = current.delta(from: base, in: current.scopes)
            let digests = current.digests(of: current.scopes)
            let (rebuilt, mismatched) = Knowledge.rebuild(base: base, delta: delta, digests: digests)
            #expect(rebuilt == current && mismatched.isEmpty)
            #expect(delta.entries.count <= current.entries.count + base.entries.count)
            // Over another base: every scope where the result differs is named, and only those.
            let other = random()
            let (wrong, named) = Knowledge.rebuild(base: other, delta: delta, digests: digests)
            let differing = current.scopes.filter { wrong.restricted(to: [$0]) != current.restricted(to: [$0]) }
            #expect(Set(named) == differing)
        }
        // Unchanged: nothing but the digests crosses.
        let k = random()
        #expect(k.delta(from: k, in: k.scopes).entries.isEmpty)
        // A delta naming a scope the digests do not is a mismatch too.
        var stray = Knowledge()
        stray.entries[Chain(origins[0], sindh)] = Knowledge.Entry(seq: 1, hash: hash(1))
        #expect(Knowledge.rebuild(base: Knowledge(), delta: stray, digests: Knowledge().digests(of: [punjab])).mismatched == [sindh])
    }
}
