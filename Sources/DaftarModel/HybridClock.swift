/// A hybrid logical clock reading: 48 bits of wall-clock milliseconds, 16 bits of counter.
public struct HLC: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, counter: UInt16 = 0) {
        rawValue = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | UInt64(counter)
    }

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (a: HLC, b: HLC) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(milliseconds).\(counter)" }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(rawValue)
    }
}

/// A change's place in the total order that picks among concurrent values: HLC first, then the
/// origin's node id.
public struct Stamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var hlc: HLC
    public var origin: NodeID

    public init(hlc: HLC, origin: NodeID) {
        self.hlc = hlc
        self.origin = origin
    }

    public static func < (a: Stamp, b: Stamp) -> Bool {
        a.hlc == b.hlc ? a.origin < b.origin : a.hlc < b.hlc
    }

    public var description: String { "\(hlc)@\(origin)" }
}

/// The clock of one node. Its readings strictly increase, whatever the wall clock does.
public struct HybridClock: Sendable, Hashable, Codable {
    /// The default limit on how far ahead of the wall clock a received stamp may pull this clock.
    public static let defaultDriftMilliseconds: UInt64 = 10 * 60 * 1000

    /// The latest reading given out or taken in.
    public private(set) var last: HLC

    public init(last: HLC = HLC(rawValue: 0)) { self.last = last }

    /// The next reading for a local change: the wall clock if it is ahead, else one past the last
    /// reading. A counter overflow carries into the milliseconds.
    public mutating func tick(wallMilliseconds: UInt64) -> HLC {
        let wall = HLC(milliseconds: wallMilliseconds)
        let next = last.rawValue == UInt64.max ? last : HLC(rawValue: last.rawValue + 1)
        last = max(wall, next)
        return last
    }

    /// What receiving a stamp did.
    public struct Receipt: Sendable, Hashable {
        /// How far the stamp is past the wall clock plus the allowed drift, in milliseconds; 0
        /// when it is within.
        public var skewMilliseconds: UInt64
        public var isBeyondDrift: Bool { skewMilliseconds > 0 }
    }

    /// Takes in a received stamp: HLC := max(local, min(received, wall + drift)). The clock never
    /// moves back, and never past the drift limit because of someone else's clock.
    @discardableResult
    public mutating func receive(_ stamp: HLC, wallMilliseconds: UInt64, driftMilliseconds: UInt64 = defaultDriftMilliseconds) -> Receipt {
        let capMilliseconds = min(wallMilliseconds &+ driftMilliseconds, 0xFFFF_FFFF_FFFF)
        let cap = HLC(milliseconds: capMilliseconds, counter: .max)
        last = max(last, min(stamp, cap))
        let skew = stamp > cap ? stamp.milliseconds - capMilliseconds : 0
        return Receipt(skewMilliseconds: skew)
    }
}
