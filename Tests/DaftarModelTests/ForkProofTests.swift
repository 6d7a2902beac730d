import Foundation
import Testing

@testable import DaftarModel

/// Fork proofs (DESIGN's definition of a fork): two signed runs of change headers of one origin
/// that give one dot two hashes, or one `prev` two different changes.
@Suite struct ForkProofTests {
    let key = SigningKey()
    let kasur = node("fia-kasur")
    let punjab = try! Scope("punjab")

    /// A chain of `count` changes of kasur in `scope`, after `prev`, whose titles start with `label`.
    func chain(_ label: String, from seq: UInt64, count: Int, after prev: ChainLink = ChainLink(seq: 0, hash: .zero), in scope: Scope? = nil) throws -> [Change] {
        var out: [Change] = []
        var link = prev
        for n in 0..<UInt64(count) {
            let dot = Dot(origin: kasur, seq: seq + n)
            let change = try Change(
                dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [field("title"): .text("\(label) \(n)")],
                vector: VersionVector([(kasur, seq + n)]), hlc: HLC(rawValue: 1000 + seq + n), officer: "SI Aslam", wallTime: 1_700_000_000_000,
                scope: scope ?? punjab, prev: link)
            link = ChainLink(seq: change.dot.seq, hash: change.hash)
            out.append(change)
        }
        return out
    }

    func run(_ changes: [Change], signedBy signer: SigningKey? = nil) throws -> SignedRun {
        try SignedRun(headers: changes.map { try #require(try $0.header()) }, signature: try ChangeSignature.sign(changes.last!.hash, with: signer ?? key))
    }

    @Test func aHeaderIsWhatTheHashCovers() throws {
        let change = try chain("a", from: 1, count: 1)[0]
        let header = try #require(try change.header())
        #expect(header.hash == change.hash && header.dot == change.dot && header.scope == punjab && header.prev == change.prev)
        #expect(header.officer == "SI Aslam" && header.kind == kind("case"))
        // A byte changed is another header, with another hash.
        var bytes = header.bytes
        bytes[bytes.count - 1] ^= 1
        #expect(try ChangeHeader(bytes: bytes).hash != change.hash)
        // Format 1 has no header apart from its content; a cut header is refused.
        expectValidationError(.malformedEncoding) { _ = try ChangeHeader(bytes: Array(header.bytes.dropLast())) }
        var format1 = bytes
        format1[0] = 1
        expectValidationError(.malformedEncoding, containing: "format 2") { _ = try ChangeHeader(bytes: format1) }
    }

    @Test func twoRunsGivingOneDotTwoHashes_proveAFork_atTheLowestSuchDot() throws {
        let shared = try chain("shared", from: 1, count: 2)
        let link = ChainLink(seq: 2, hash: shared[1].hash)
        let original = try chain("original", from: 3, count: 3, after: link)
        let copy = try chain("copy", from: 3, count: 2, after: link)
        let proof = try ForkProof(try run(original), try run(copy))
        #expect(proof.dot == Dot(origin: kasur, seq: 3))
        #expect(proof.firstHash == original[0].hash && proof.secondHash == copy[0].hash)
        #expect(proof.chains == [Chain(kasur, punjab)] && proof.scopes == [punjab])
        // Runs starting later still prove it: the copy's seq 4 names a prev of seq 3 that is not
        // the original's seq 3.
        let later = try ForkProof(try run(original), try run(Array(copy[1...])))
        #expect(later.dot == Dot(origin: kasur, seq: 3))
        // JSON round trip: the proof is read back whole and checked again.
        let json = try JSONEncoder().encode(proof)
        #expect(try JSONDecoder().decode(ForkProof.self, from: json) == proof)
    }

    @Test func runsThatAgree_orAreOfTwoOrigins_proveNothing() throws {
        let original = try chain("original", from: 1, count: 4)
        expectValidationError(.malformedEncoding, containing: "prove no fork") {
            _ = try ForkProof(try run(Array(original[0...2])), try run(Array(original[1...3])))
        }
        // Runs that do not overlap say nothing of each other.
        expectValidationError(.malformedEncoding, containing: "prove no fork") {
            _ = try ForkProof(try run(Array(original[0...0])), try run(Array(original[2...3])))
        }
        let other = node("fia-okara")
        let theirs = try Change(
            dot: Dot(origin: other, seq: 1), record: RecordID(Dot(origin: other, seq: 1)), kind: kind("case"), operation: .add, fields: [:],
            vector: VersionVector([(other, 1)]), hlc: HLC(rawValue: 5), officer: "SI Bilal", wallTime: 0, scope: punjab, prev: ChainLink(seq: 0, hash: .zero))
        expectValidationError(.malformedEncoding, containing: "one origin") {
            _ = try ForkProof(try run([original[0]]), try SignedRun(headers: [try #require(try theirs.header())], signature: try ChangeSignature.sign(theirs.hash, with: key)))
        }
    }

    @Test func aRunMustBeOneChainInOrder() throws {
        let original = try chain("original", from: 1, count: 3)
        let headers = try original.map { try #require(try $0.header()) }
        let signature = try ChangeSignature.sign(original[2].hash, with: key)
        expectValidationError(.malformedEncoding, containing: "follow one another") {
            _ = try SignedRun(headers: [headers[0], headers[2]], signature: signature)
        }
        expectValidationError(.malformedEncoding, containing: "at least one") { _ = try SignedRun(headers: [], signature: signature) }
        // A header altered on the way no longer links to the one after it.
        var bytes = headers[1].bytes
        bytes[bytes.count - 40] ^= 0x20
        let altered = try ChangeHeader(bytes: bytes)
        expectValidationError(.malformedEncoding, containing: "follow one another") {
            _ = try SignedRun(headers: [headers[0], altered, headers[2]], signature: signature)
        }
    }

    @Test func oneDotUsedInTwoScopes_refusesBothChains() throws {
        let sindh = try Scope("sindh")
        let inPunjab = try chain("original", from: 1, count: 1)
        let inSindh = try chain("copy", from: 1, count: 1, in: sindh)
        let proof = try ForkProof(try run(inPunjab), try run(inSindh))
        #expect(proof.dot == Dot(origin: kasur, seq: 1))
        #expect(proof.chains == [Chain(kasur, punjab), Chain(kasur, sindh)] && proof.scopes == [punjab, sindh])
    }
}
