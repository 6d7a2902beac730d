import Foundation
import Testing

@testable import DaftarModel

// Small helpers shared by the model tests.

func node(_ s: String) -> NodeID { try! NodeID(s) }
func field(_ s: String) -> FieldName { try! FieldName(s) }
func kind(_ s: String) -> Kind { try! Kind(s) }
func dec(_ s: String) -> ExactDecimal { try! ExactDecimal(s) }
func vv(_ pairs: [(String, UInt64)]) -> VersionVector { VersionVector(pairs.map { (node($0.0), $0.1) }) }

/// Runs `body` and checks it throws a ``ValidationError`` with `code` (and, when given, a message
/// containing `containing`). Returns the error for further checks.
@discardableResult
func expectValidationError(
    _ code: ValidationError.Code, containing: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> ValidationError? {
    do {
        try body()
        Issue.record("expected a ValidationError .\(code) but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ValidationError {
        #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
        if let containing {
            #expect(error.message.contains(containing), "message was: \(error.message)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a ValidationError .\(code) but got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A deterministic random source for tests that need many choices from one generated seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One simulated node editing one record: it numbers its changes, stamps them with its clock,
/// chains their hashes and keeps its own copy of the record, as a store would.
struct Replica {
    let id: NodeID
    var seq: UInt64 = 0
    var clock = HybridClock()
    var previousHash = ContentHash.zero
    var state: RecordState?
    /// Every change held, in apply order (causal).
    var log: [Change] = []
    var held: Set<Dot> = []
    var officer: String

    init(_ name: String, officer: String = "Insp. Test") {
        id = node(name)
        self.officer = officer
    }

    /// Creates a record with `fields`.
    mutating func add(_ fields: [String: FieldValue], kind k: String = "incident", wall: UInt64) throws -> Change {
        seq += 1
        let dot = Dot(origin: id, seq: seq)
        let change = try Change(
            dot: dot, record: RecordID(dot), kind: kind(k), operation: .add,
            fields: Dictionary(uniqueKeysWithValues: fields.map { (field($0.key), $0.value) }),
            vector: VersionVector(dot), hlc: clock.tick(wallMilliseconds: wall), officer: officer,
            wallTime: Int64(wall), prev: ChainLink(seq: seq - 1, hash: previousHash))
        previousHash = change.hash
        apply(change)
        return change
    }

    /// Edits the record this replica holds.
    mutating func edit(_ operation: Change.Operation, _ fields: [String: FieldValue] = [:], wall: UInt64) throws -> Change {
        let current = try #require(state, "replica \(id) holds no record to edit")
        seq += 1
        let dot = Dot(origin: id, seq: seq)
        var vector = current.vector
        vector[id] = seq
        let change = try Change(
            dot: dot, record: current.id, kind: current.kind, operation: operation,
            fields: Dictionary(uniqueKeysWithValues: fields.map { (field($0.key), $0.value) }),
            vector: vector, hlc: clock.tick(wallMilliseconds: wall), officer: officer,
            wallTime: Int64(wall), prev: ChainLink(seq: seq - 1, hash: previousHash))
        previousHash = change.hash
        apply(change)
        return change
    }

    /// Applies a change (made here or received), once.
    mutating func apply(_ change: Change) {
        guard !held.contains(change.dot) else { return }
        if state == nil { state = RecordState(id: change.record, kind: change.kind) }
        state!.apply(change)
        held.insert(change.dot)
        log.append(change)
    }

    /// Takes every change `other` holds that this one lacks, in `other`'s apply order.
    mutating func sync(from other: Replica, wall: UInt64) {
        for change in other.log where !held.contains(change.dot) {
            clock.receive(change.hlc, wallMilliseconds: wall)
            apply(change)
        }
    }
}

/// Applies `changes` to a fresh record state in the given order.
func replay(_ changes: [Change]) -> RecordState? {
    guard let first = changes.first else { return nil }
    var state = RecordState(id: first.record, kind: first.kind)
    for change in changes { state.apply(change) }
    return state
}

/// A random order of `changes` that respects causal delivery (promise 2): a change comes after the
/// earlier changes of its origin and after every dot its vector covers.
func randomCausalOrder(_ changes: [Change], using rng: inout SplitMix64) -> [Change] {
    var pending = changes
    var have: [NodeID: UInt64] = [:]
    var out: [Change] = []
    while !pending.isEmpty {
        let ready = pending.indices.filter { i in
            let c = pending[i]
            guard have[c.dot.origin, default: 0] == c.dot.seq - 1 else { return false }
            return c.vector.entries.allSatisfy { $0.node == c.dot.origin || have[$0.node, default: 0] >= $0.seq }
        }
        precondition(!ready.isEmpty, "no change is ready: the history is not causal")
        let pick = ready[Int(rng.next() % UInt64(ready.count))]
        let c = pending.remove(at: pick)
        have[c.dot.origin] = c.dot.seq
        out.append(c)
    }
    return out
}
