import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

@Suite struct ExactDecimalTests {
    @Test(arguments: [
        ("12.50", "12.5"), ("12.5", "12.5"), ("3", "3"), ("003", "3"), ("-0.5", "-0.5"),
        ("0", "0"), ("-0", "0"), ("-0.000", "0"), ("000.000", "0"), (".5", "0.5"), ("-.5", "-0.5"),
        ("1250.75", "1250.75"), ("0.001", "0.001"), ("10", "10"), ("100.0", "100"), ("-007.0100", "-7.01"),
    ])
    func normalForm(input: String, expected: String) throws {
        let d = try ExactDecimal(input)
        #expect(d.normalForm == expected)
        #expect(d.description == expected)
        // The normal form reads back as itself.
        #expect(try ExactDecimal(d.normalForm).normalForm == expected)
    }

    @Test(arguments: ["", "-", ".", "-.", "5.", "1.2.3", "+1", "1e5", "1E5", " 1", "1 ", "1,5", "0x10", "--1", "1-", "١٢", "NaN", "inf"])
    func malformedIsRefused(input: String) {
        let error = expectValidationError(.invalidDecimal) { _ = try ExactDecimal(input) }
        #expect(error?.message.contains("is not a decimal number") == true)
    }

    @Test func digitLimit() throws {
        let forty = String(repeating: "9", count: 40)
        #expect(try ExactDecimal(forty).normalForm == forty)
        #expect(try ExactDecimal("0." + String(repeating: "1", count: 39)).normalForm.count == 41)
        expectValidationError(.invalidDecimal, containing: "more than 40 digits") {
            _ = try ExactDecimal(String(repeating: "9", count: 41))
        }
        expectValidationError(.invalidDecimal, containing: "more than 40 digits") {
            _ = try ExactDecimal("1." + String(repeating: "0", count: 40))
        }
    }

    @Test func equalValuesAreEqualAndHashAlike() throws {
        let a = try ExactDecimal("12.50")
        let b = try ExactDecimal("12.5")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        #expect(try ExactDecimal("0.1") != ExactDecimal("0.10000000000000001"))
    }

    @Test func noBinaryFloatArithmeticSurprises() throws {
        // 0.1 + 0.2 as a Double is not 0.3; as exact decimals the text is exact.
        #expect(try ExactDecimal("0.3").normalForm == "0.3")
        #expect(try ExactDecimal("0.30000000000000004") != ExactDecimal("0.3"))
        #expect(try ExactDecimal("0.3") < ExactDecimal("0.30000000000000004"))
    }

    @Test func orderingExamples() throws {
        let sorted = ["-100", "-12.5", "-12.25", "-1", "-0.5", "-0.05", "0", "0.001", "0.01", "0.1", "0.45", "0.5", "1", "9.99", "10", "12.25", "12.5", "100"]
        let values = try sorted.map { try ExactDecimal($0) }
        for i in values.indices {
            for j in values.indices {
                #expect((values[i] < values[j]) == (i < j), "\(values[i]) < \(values[j])")
            }
        }
    }

    @Test func orderingMatchesExactRationalOrder() async {
        // value = n / 10^scale, compared exactly by scaling both to 10^4.
        let genValue = zip(Gen.int64(in: -2_000_000...2_000_000), Gen.int(in: 0...4))
        await propertyCheck(count: 300, input: genValue, genValue) { a, b in
            func text(_ n: Int64, _ scale: Int) -> String {
                let digits = String(n.magnitude)
                let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
                let cut = padded.index(padded.endIndex, offsetBy: -scale)
                let body = scale == 0 ? padded : String(padded[..<cut]) + "." + String(padded[cut...])
                return (n < 0 ? "-" : "") + body
            }
            func scaled(_ n: Int64, _ scale: Int) -> Int64 {
                var v = n
                for _ in scale..<4 { v *= 10 }
                return v
            }
            let x = try ExactDecimal(text(a.0, a.1))
            let y = try ExactDecimal(text(b.0, b.1))
            let sx = scaled(a.0, a.1)
            let sy = scaled(b.0, b.1)
            #expect((x < y) == (sx < sy), "\(x) < \(y)")
            #expect((x == y) == (sx == sy), "\(x) == \(y)")
        }
    }

    @Test func integerTextsOrderLikeIntegers() async {
        await propertyCheck(count: 200, input: Gen.int64(), Gen.int64()) { a, b in
            let x = try ExactDecimal(String(a))
            let y = try ExactDecimal(String(b))
            #expect((x < y) == (a < b))
            #expect(x.compare(toInteger: b) == (a == b ? 0 : (a < b ? -1 : 1)))
            #expect(x.normalForm == String(a))
        }
    }

    @Test func compareToInteger() throws {
        #expect(try ExactDecimal("12.5").compare(toInteger: 12) == 1)
        #expect(try ExactDecimal("12.5").compare(toInteger: 13) == -1)
        #expect(try ExactDecimal("12.0").compare(toInteger: 12) == 0)
        #expect(try ExactDecimal("-0.5").compare(toInteger: 0) == -1)
        #expect(try ExactDecimal("-0.5").compare(toInteger: -1) == 1)
        #expect(try ExactDecimal("0").compare(toInteger: Int64.min) == 1)
    }

    @Test func approximationIsNearestDouble() throws {
        #expect(try ExactDecimal("12.5").approximation == 12.5)
        #expect(try ExactDecimal("-0.001").approximation == -0.001)
    }

    @Test func jsonIsTheNormalFormString() throws {
        let d = try ExactDecimal("012.50")
        let data = try JSONEncoder().encode([d])
        #expect(String(decoding: data, as: UTF8.self) == #"["12.5"]"#)
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: data) == [d])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ExactDecimal].self, from: Data(#"["1e3"]"#.utf8)) }
    }

    // MARK: FieldValue

    @Test func fieldValueCompare() throws {
        #expect(FieldValue.integer(3).compare(to: .decimal(try ExactDecimal("2.5"))) == 1)
        #expect(FieldValue.decimal(try ExactDecimal("3.0")).compare(to: .integer(3)) == 0)
        #expect(FieldValue.decimal(try ExactDecimal("2.5")).compare(to: .integer(3)) == -1)
        #expect(FieldValue.text("a").compare(to: .text("b")) == -1)
        #expect(FieldValue.boolean(false).compare(to: .boolean(true)) == -1)
        #expect(FieldValue.null.compare(to: .null) == 0)
        #expect(FieldValue.text("1").compare(to: .integer(1)) == nil)
        #expect(FieldValue.boolean(true).compare(to: .integer(1)) == nil)
    }

    @Test func fieldValueJSON() throws {
        let values: [FieldValue] = [.null, .boolean(true), .integer(-42), .text("03001234567"), .decimal(try ExactDecimal("12.5"))]
        let data = try JSONEncoder().encode(values)
        #expect(String(decoding: data, as: UTF8.self) == #"[null,true,-42,"03001234567",{"decimal":"12.5"}]"#)
        #expect(try JSONDecoder().decode([FieldValue].self, from: data) == values)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([FieldValue].self, from: Data(#"[{"decimal":"x"}]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([FieldValue].self, from: Data(#"[1.5]"#.utf8)) }
    }

    @Test func fieldValueDisplayAndTypeNames() throws {
        #expect(FieldValue.decimal(try ExactDecimal("12.50")).displayText == "12.5")
        #expect(FieldValue.integer(-3).displayText == "-3")
        #expect(FieldValue.boolean(false).displayText == "false")
        #expect(FieldValue.null.displayText == "")
        #expect(FieldValue.text("03001234567").displayText == "03001234567")
        #expect(
            [FieldValue.null, .text(""), .integer(0), .decimal(try ExactDecimal("0")), .boolean(true)].map(\.typeName)
                == ["null", "text", "integer", "decimal", "boolean"])
        #expect(FieldValue.null.isNull)
        #expect(!FieldValue.integer(0).isNull)
    }

    @Test func textValueChecks() throws {
        #expect(try FieldValue.text(normalizing: "e\u{301}") == .text("\u{E9}"))
        #expect(try FieldValue.text(normalizing: String(repeating: "x", count: Limits.textBytes)) == .text(String(repeating: "x", count: Limits.textBytes)))
        expectValidationError(.valueTooLarge, containing: "8193 bytes") {
            _ = try FieldValue.text(normalizing: String(repeating: "x", count: Limits.textBytes + 1))
        }
        // The limit is in UTF-8 bytes, not characters: 4097 two-byte letters are over it.
        expectValidationError(.valueTooLarge) { _ = try FieldValue.text(normalizing: String(repeating: "ب", count: 4097)) }
        expectValidationError(.invalidText, containing: "NUL") { _ = try FieldValue.text(normalizing: "a\u{0}b") }
        expectValidationError(.invalidText, containing: "NFC") { try FieldValue.text("e\u{301}").validate() }
        #expect(throws: Never.self) { try FieldValue.integer(.max).validate() }
    }
}
