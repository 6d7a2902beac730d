/// An exact decimal number, kept as its normal form: no plus sign, no leading zeros, no
/// trailing zeros after the point, no point when nothing follows it, and no `-0`.
///
/// `12.50` and `12.5` are the same value; `0.1 + 0.2` problems never arise because nothing is
/// ever a binary float.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The normal form, for example `-12.5` or `0.001`.
    public let normalForm: String
    private let negative: Bool
    private let integerDigits: Substring.UTF8View
    private let fractionDigits: Substring.UTF8View

    /// Reads a decimal such as `12.50`, `-0.5` or `3`. Refuses exponents, `+`, and more than
    /// ``Limits/decimalDigits`` digits.
    public init(_ text: String) throws(ValidationError) {
        let bytes = Array(text.utf8)
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == 0x2D {
            negative = true
            i += 1
        }
        var intPart: [UInt8] = []
        var fracPart: [UInt8] = []
        var seenPoint = false
        var digits = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x2E, !seenPoint {
                seenPoint = true
            } else if b >= 0x30, b <= 0x39 {
                if seenPoint { fracPart.append(b) } else { intPart.append(b) }
                digits += 1
            } else {
                throw ExactDecimal.malformed(text)
            }
            i += 1
        }
        guard digits > 0, !(seenPoint && fracPart.isEmpty) else { throw ExactDecimal.malformed(text) }
        guard digits <= Limits.decimalDigits else {
            throw ValidationError(.invalidDecimal, "'\(text.prefix(60))…' has more than \(Limits.decimalDigits) digits: round it, or store it as text")
        }
        while let first = intPart.first, first == 0x30 { intPart.removeFirst() }
        while let last = fracPart.last, last == 0x30 { fracPart.removeLast() }
        if intPart.isEmpty && fracPart.isEmpty { negative = false }
        var normal = negative ? "-" : ""
        normal += intPart.isEmpty ? "0" : String(decoding: intPart, as: UTF8.self)
        if !fracPart.isEmpty { normal += "." + String(decoding: fracPart, as: UTF8.self) }
        self.normalForm = normal
        self.negative = negative
        let unsigned = normal.utf8.dropFirst(negative ? 1 : 0)
        let body = Substring(unsigned)
        if let point = body.firstIndex(of: ".") {
            integerDigits = body[..<point].utf8
            fractionDigits = body[body.index(after: point)...].utf8
        } else {
            integerDigits = body.utf8
            fractionDigits = Substring().utf8
        }
    }

    private static func malformed(_ text: String) -> ValidationError {
        ValidationError(.invalidDecimal, "'\(text.prefix(60))' is not a decimal number: write digits with at most one '.', and '-' in front if negative (for example 1250.75)")
    }

    public var description: String { normalForm }
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { a.normalForm == b.normalForm }
    public func hash(into hasher: inout Hasher) { hasher.combine(normalForm) }

    /// The nearest binary float, for sorting in indexes only; never for arithmetic or equality.
    public var approximation: Double { Double(normalForm) ?? 0 }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        if a.negative != b.negative { return a.negative }
        let magnitude = compareMagnitude(a, b)
        return a.negative ? magnitude > 0 : magnitude < 0
    }

    private static func compareMagnitude(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        // "0" has an integer part of one digit but no magnitude beyond its fraction.
        let ai = a.integerDigits.elementsEqual("0".utf8) ? 0 : a.integerDigits.count
        let bi = b.integerDigits.elementsEqual("0".utf8) ? 0 : b.integerDigits.count
        if ai != bi { return ai < bi ? -1 : 1 }
        if ai > 0, !a.integerDigits.elementsEqual(b.integerDigits) {
            return a.integerDigits.lexicographicallyPrecedes(b.integerDigits) ? -1 : 1
        }
        if a.fractionDigits.elementsEqual(b.fractionDigits) { return 0 }
        return a.fractionDigits.lexicographicallyPrecedes(b.fractionDigits) ? -1 : 1
    }

    /// Compares with an integer, exactly.
    public func compare(toInteger n: Int64) -> Int {
        let other = try! ExactDecimal(String(n))
        return self == other ? 0 : (self < other ? -1 : 1)
    }
}
