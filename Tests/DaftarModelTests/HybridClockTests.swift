import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

/// Wall-clock readings in a realistic range (2020 to 2100 in milliseconds) ...
private let genWall = Gen.uint64(in: 1_577_836_800_000...4_102_444_800_000)
/// ... and a random walk of small steps forward and backward from one of them.
private let genWalk = Gen.int64(in: -5_000...5_000).array(of: 1...40)

@Suite struct HybridClockTests {
    // MARK: HLC and Stamp

    @Test func hlcPacksMillisecondsAndCounter() {
        let h = HLC(milliseconds: 1_700_000_000_123, counter: 7)
        #expect(h.milliseconds == 1_700_000_000_123)
        #expect(h.counter == 7)
        #expect(h.rawValue == 1_700_000_000_123 << 16 | 7)
        #expect(h.description == "1700000000123.7")
        #expect(HLC(rawValue: h.rawValue) == h)
        #expect(HLC(milliseconds: 5).counter == 0)
    }

    @Test func hlcKeepsOnly48BitsOfMilliseconds() {
        let h = HLC(milliseconds: 0xFFFF_FFFF_FFFF, counter: 0xFFFF)
        #expect(h.rawValue == UInt64.max)
        #expect(HLC(milliseconds: 1 << 48).milliseconds == 0)
    }

    @Test func hlcOrdersByMillisecondsThenCounter() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...1000), Gen.uint16(), Gen.uint64(in: 0...1000), Gen.uint16()) { m1, c1, m2, c2 in
            let a = HLC(milliseconds: m1, counter: c1)
            let b = HLC(milliseconds: m2, counter: c2)
            #expect((a < b) == (m1 < m2 || (m1 == m2 && c1 < c2)))
        }
    }

    @Test func hlcJSONIsTheRawNumber() throws {
        let h = HLC(milliseconds: 1_700_000_000_000, counter: 3)
        let data = try JSONEncoder().encode(h)
        #expect(String(decoding: data, as: UTF8.self) == String(h.rawValue))
        #expect(try JSONDecoder().decode(HLC.self, from: data) == h)
    }

    @Test func stampsCompareHLCFirstThenOrigin() {
        let early = HLC(milliseconds: 100)
        let late = HLC(milliseconds: 100, counter: 1)
        #expect(Stamp(hlc: early, origin: node("z")) < Stamp(hlc: late, origin: node("a")))
        #expect(Stamp(hlc: early, origin: node("a")) < Stamp(hlc: early, origin: node("b")))
        #expect(!(Stamp(hlc: early, origin: node("a")) < Stamp(hlc: early, origin: node("a"))))
        #expect(Stamp(hlc: late, origin: node("a")).description == "100.1@a")
    }

    @Test func stampOrderIsTotal() async {
        let genStamp = zip(Gen.uint64(in: 0...3), Gen.element(of: ["a", "b", "c"])).map { h, o in
            Stamp(hlc: HLC(rawValue: h), origin: node(o!))
        }
        await propertyCheck(count: 200, input: genStamp, genStamp, genStamp) { a, b, c in
            // Exactly one of <, ==, >.
            #expect([a < b, a == b, b < a].filter { $0 }.count == 1)
            // Transitive.
            if a < b, b < c { #expect(a < c) }
        }
    }

    // MARK: tick

    @Test func tickFollowsTheWallClockWhenItIsAhead() {
        var clock = HybridClock()
        #expect(clock.tick(wallMilliseconds: 1000) == HLC(milliseconds: 1000))
        #expect(clock.tick(wallMilliseconds: 2000) == HLC(milliseconds: 2000))
        #expect(clock.last == HLC(milliseconds: 2000))
    }

    @Test func tickCountsWhenTheWallClockStandsStillOrGoesBack() {
        var clock = HybridClock()
        #expect(clock.tick(wallMilliseconds: 1000) == HLC(milliseconds: 1000, counter: 0))
        #expect(clock.tick(wallMilliseconds: 1000) == HLC(milliseconds: 1000, counter: 1))
        #expect(clock.tick(wallMilliseconds: 400) == HLC(milliseconds: 1000, counter: 2))
        #expect(clock.tick(wallMilliseconds: 1001) == HLC(milliseconds: 1001, counter: 0))
    }

    @Test func counterOverflowCarriesIntoMilliseconds() {
        var clock = HybridClock(last: HLC(milliseconds: 5000, counter: 0xFFFF))
        let next = clock.tick(wallMilliseconds: 4000)
        #expect(next == HLC(milliseconds: 5001, counter: 0))
        #expect(next > HLC(milliseconds: 5000, counter: 0xFFFF))
    }

    @Test func counterOverflowCarriesIntoMillisecondsProperty() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 1...0xFFFF_FFFF_FFFE), Gen.uint64(in: 0...1_000_000)) { m, back in
            var clock = HybridClock(last: HLC(milliseconds: m, counter: 0xFFFF))
            let older = m >= back ? m - back : 0
            let next = clock.tick(wallMilliseconds: older)
            #expect(next == HLC(milliseconds: m + 1, counter: 0))
            #expect(clock.last == next)
        }
    }

    @Test func ticksStrictlyIncreaseWhateverTheWallClockDoes() async {
        await propertyCheck(count: 200, input: genWall, genWalk) { start, steps in
            var clock = HybridClock()
            var wall = start
            var previous = clock.tick(wallMilliseconds: wall)
            for step in steps {
                wall = UInt64(max(0, Int64(wall) + step))  // may jump back
                let next = clock.tick(wallMilliseconds: wall)
                #expect(next > previous)
                #expect(next >= HLC(milliseconds: wall))  // never behind the wall clock
                previous = next
            }
        }
    }

    @Test func ticksStrictlyIncreaseAfterALargeJumpBack() {
        var clock = HybridClock()
        var previous = clock.tick(wallMilliseconds: 1_700_000_000_000)
        var increasing = true
        for i in 0..<70_000 {  // more than one counter's worth at a wall clock stuck in the past
            let next = clock.tick(wallMilliseconds: 1_600_000_000_000 + UInt64(i % 3))
            if next <= previous { increasing = false }
            previous = next
        }
        #expect(increasing)
        // 70 000 ticks past (1_700_000_000_000, 0): one carry into the milliseconds.
        #expect(previous == HLC(milliseconds: 1_700_000_000_001, counter: UInt16(70_000 - 65_536)))
    }

    @Test func clockStateSurvivesEncoding() throws {
        var clock = HybridClock()
        _ = clock.tick(wallMilliseconds: 10)
        _ = clock.tick(wallMilliseconds: 10)
        let restored = try JSONDecoder().decode(HybridClock.self, from: try JSONEncoder().encode(clock))
        var a = clock
        var b = restored
        #expect(restored == clock)
        #expect(a.tick(wallMilliseconds: 0) == b.tick(wallMilliseconds: 0))
        #expect(b.last > clock.last)
    }

    // MARK: receive

    @Test func receiveTakesAStampWithinDrift() {
        var clock = HybridClock()
        _ = clock.tick(wallMilliseconds: 1000)
        let receipt = clock.receive(HLC(milliseconds: 1500, counter: 4), wallMilliseconds: 1000, driftMilliseconds: 600)
        #expect(receipt.skewMilliseconds == 0)
        #expect(!receipt.isBeyondDrift)
        #expect(clock.last == HLC(milliseconds: 1500, counter: 4))
        #expect(clock.tick(wallMilliseconds: 1000) == HLC(milliseconds: 1500, counter: 5))
    }

    @Test func receiveOfAnOlderStampDoesNotMoveTheClockBack() {
        var clock = HybridClock(last: HLC(milliseconds: 9000, counter: 2))
        let receipt = clock.receive(HLC(milliseconds: 10), wallMilliseconds: 9000)
        #expect(receipt.skewMilliseconds == 0)
        #expect(clock.last == HLC(milliseconds: 9000, counter: 2))
    }

    @Test func receiveIsCappedByDriftAndReportsSkew() {
        var clock = HybridClock()
        let receipt = clock.receive(HLC(milliseconds: 1_000_000, counter: 9), wallMilliseconds: 1000, driftMilliseconds: 500)
        #expect(receipt.skewMilliseconds == 1_000_000 - 1500)
        #expect(receipt.isBeyondDrift)
        #expect(clock.last.milliseconds == 1500)
        // The next local stamp is still strictly later, and not pulled further ahead.
        let before = clock.last
        let next = clock.tick(wallMilliseconds: 1000)
        #expect(next > before)
        #expect(next.milliseconds <= 1501)
    }

    /// The drift is a number of milliseconds: a stamp whose milliseconds are within wall + drift is
    /// taken in whole, counter included, and is not reported.
    @Test func stampAtTheDriftLimitIsTakenInWhole() {
        #expect(HybridClock.defaultDriftMilliseconds == 600_000)
        var clock = HybridClock()
        let atLimit = HLC(milliseconds: 1000 + 600_000, counter: 0xFFFF)
        let r1 = clock.receive(atLimit, wallMilliseconds: 1000)
        #expect(r1.skewMilliseconds == 0)
        #expect(clock.last == atLimit)
        // A local change made after receiving it is stamped after it.
        #expect(clock.tick(wallMilliseconds: 1000) > atLimit)
    }

    @Test func stampOneMillisecondPastTheLimitIsCappedAndReported() {
        var clock = HybridClock()
        let r2 = clock.receive(HLC(milliseconds: 1000 + 600_001), wallMilliseconds: 1000)
        #expect(r2.skewMilliseconds == 1)
        #expect(r2.isBeyondDrift)
        #expect(clock.last.milliseconds == 601_000)
    }

    /// With no drift allowed, a stamp in the current millisecond but with a higher counter is
    /// still within the limit.
    @Test func stampInTheCurrentMillisecondIsTakenInWithZeroDrift() {
        var clock = HybridClock(last: HLC(milliseconds: 5000, counter: 1))
        let stamp = HLC(milliseconds: 5000, counter: 31)
        let receipt = clock.receive(stamp, wallMilliseconds: 5000, driftMilliseconds: 0)
        #expect(clock.last == stamp)
        #expect(receipt.skewMilliseconds == 0)
    }

    @Test func receiveLaw() async {
        // last, received stamp and wall as offsets around a base; drift from 0 to 10 minutes.
        let genOffset = Gen.int64(in: -2_000_000...2_000_000)
        await propertyCheck(
            count: 300, input: genWall, genOffset, genOffset, Gen.uint64(in: 0...600_000), Gen.uint16(), Gen.bool
        ) { base, lastOffset, stampOffset, drift, counter, atLimit in
            let lastHLC = HLC(milliseconds: UInt64(Int64(base) + lastOffset), counter: counter)
            // Half the stamps sit exactly on the limit's millisecond, where the counter matters.
            let stampMs = atLimit ? base + drift : UInt64(Int64(base) + stampOffset)
            let stamp = HLC(milliseconds: stampMs, counter: counter &* 31 | 1)
            var clock = HybridClock(last: lastHLC)
            let receipt = clock.receive(stamp, wallMilliseconds: base, driftMilliseconds: drift)
            let capMs = base + drift

            // Never moves back.
            #expect(clock.last >= lastHLC)
            // Never moves past wall + drift because of the remote stamp.
            #expect(clock.last.milliseconds <= max(lastHLC.milliseconds, capMs))
            // A stamp within wall + drift is taken in: HLC := max(local, received).
            if stamp.milliseconds <= capMs { #expect(clock.last == max(lastHLC, stamp)) }
            // A stamp is either taken in or reported, never silently cut.
            #expect(clock.last >= stamp || receipt.isBeyondDrift)
            // Skew reported exactly when beyond the cap, by how much.
            if stamp.milliseconds > capMs {
                #expect(receipt.skewMilliseconds == stamp.milliseconds - capMs)
                #expect(receipt.isBeyondDrift)
                #expect(clock.last.milliseconds == max(lastHLC.milliseconds, capMs))
            } else {
                #expect(receipt.skewMilliseconds == 0)
                #expect(!receipt.isBeyondDrift)
            }
            // The next local reading is still strictly later.
            let before = clock.last
            #expect(clock.tick(wallMilliseconds: base) > before)
        }
    }

    @Test func repeatedFarFutureStampsCannotDragTheClockAlong() {
        var clock = HybridClock()
        let wall: UInt64 = 1_700_000_000_000
        for i in 0..<50 {
            clock.receive(HLC(milliseconds: wall + 86_400_000 * UInt64(i + 1)), wallMilliseconds: wall, driftMilliseconds: 1000)
            #expect(clock.last <= HLC(milliseconds: wall + 1000, counter: .max))
        }
    }
}
