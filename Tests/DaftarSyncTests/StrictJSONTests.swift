import DaftarSync
import Foundation
import Testing

/// The JSON rules a general decoder does not keep, checked before a body is decoded.
@Suite struct StrictJSONTests {
    func violation(_ text: String) -> String? {
        do {
            try StrictJSON.check(Array(text.utf8))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func wellFormedDocumentsPass_andTheirChangesAreCounted() throws {
        #expect(try StrictJSON.check(Array(#"{"node":"a","knowledge":{},"changes":[{"x":1},{"x":2},{"x":[1,2,3]}]}"#.utf8)) == 3)
        #expect(try StrictJSON.check(Array(#" { "a" : [ ] , "b" : { "c" : null , "d" : true , "e" : false , "f" : -12 , "g" : "\"\\\u00e9" } } "#.utf8)) == 0)
        #expect(try StrictJSON.check(Array("[1,2]".utf8)) == 0)
    }

    @Test func aKeyTwiceInOneObject_isRefused_evenWrittenWithEscapes() {
        #expect(violation(#"{"a":1,"a":2}"#)?.contains("appears twice") == true)
        #expect(violation(#"{"node":1,"no\u0064e":2}"#)?.contains("appears twice") == true)
        #expect(violation(#"{"a":{"b":1},"c":{"b":1}}"#) == nil)
        // Past sixteen keys the object's keys are kept in a set: still found.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(violation("{\(many)}") == nil)
        #expect(violation("{\(many),\"k33\":0}")?.contains("k33") == true)
    }

    @Test func numbersWithAFractionOrAnExponent_areRefused() {
        for number in ["1000.0", "1e3", "1E3", "-0.5", "2e+1"] {
            #expect(violation(#"{"maxChanges":\#(number)}"#)?.contains("whole number") == true, "\(number)")
        }
        #expect(violation(#"{"maxChanges":-"}"#) != nil)
        #expect(violation(#"{"maxChanges":1000}"#) == nil)
    }

    @Test func deepNesting_andBrokenDocuments_areRefusedWithoutCrashing() {
        #expect(violation(String(repeating: "[", count: 100_000))?.contains("nest") == true)
        #expect(violation(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) == nil)
        for broken in ["", "{", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "[1,]", #"{"a":1}x"#, "\"open", "{\"a\":\"\u{01}\"}", "tru"] {
            #expect(violation(broken) != nil, "\(broken)")
        }
    }
}
