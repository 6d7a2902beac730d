/// The JSON rules of the sync protocol that a general JSON decoder does not keep, checked in one
/// pass over the body before it is decoded, so that a foreign client and the server can never
/// read one request two ways:
/// - no object holds a key twice (`"a"` and `"\u0061"` are the same key);
/// - every number is a whole number written without a fraction or an exponent (`1000`, not
///   `1000.0` or `1e3`): the protocol's numbers are all integers, and decimals travel as
///   `{"decimal": "12.5"}`;
/// - arrays and objects nest at most ``maxDepth`` deep.
public enum StrictJSON {
    public static let maxDepth = 64

    public struct Violation: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Checks `bytes`; throws a ``Violation`` saying what is wrong and at which byte. Returns
    /// the number of elements of the longest array that is a member of the top-level object
    /// (for a sync request: how many changes it carries).
    @discardableResult
    public static func check(_ bytes: [UInt8]) throws(Violation) -> Int {
        try bytes.withUnsafeBufferPointer { buffer throws(Violation) in try check(buffer) }
    }

    @discardableResult
    public static func check(_ bytes: UnsafeBufferPointer<UInt8>) throws(Violation) -> Int {
        var scanner = Scanner(bytes: bytes)
        try scanner.run()
        return scanner.longestTopLevelArray
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0
        var longestTopLevelArray = 0

        /// One open object or array.
        struct Frame {
            var isObject: Bool
            /// Keys seen so far, for objects; a set once there are many.
            var keys: [[UInt8]] = []
            var keySet: Set<[UInt8]>? = nil
            var count = 0

            /// Notes a key of this object; false when it was there already.
            mutating func insert(_ key: [UInt8]) -> Bool {
                if keySet != nil { return keySet!.insert(key).inserted }
                if keys.contains(key) { return false }
                keys.append(key)
                if keys.count > 16 {
                    keySet = Set(keys)
                    keys = []
                }
                return true
            }
        }

        /// Ends the innermost object or array at `at`; true when that ended the document.
        mutating func close(_ stack: inout [Frame]) throws(Violation) -> Bool {
            at += 1
            stack.removeLast()
            guard stack.isEmpty else { return false }
            skipSpace()
            guard at == bytes.count else { throw fail("the JSON has more after its end") }
            return true
        }

        func fail(_ what: String) -> Violation {
            Violation(message: "\(what) (at byte \(at))")
        }

        mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        /// Reads a string starting at its opening quote; returns its bytes with escapes decoded
        /// when `decode` (for keys), else nothing.
        mutating func string(decode: Bool) throws(Violation) -> [UInt8] {
            at += 1  // the opening quote
            let start = at
            var escaped = false
            while at < bytes.count {
                let b = bytes[at]
                if b == 0x22 {  // "
                    guard decode else {
                        at += 1
                        return []
                    }
                    let raw = Array(bytes[start..<at])
                    at += 1
                    return escaped ? try unescape(raw) : raw
                }
                if b == 0x5C {  // backslash
                    escaped = true
                    at += 2
                    continue
                }
                if b < 0x20 { throw fail("a string holds a raw control character; escape it") }
                at += 1
            }
            throw fail("a string is not closed")
        }

        func unescape(_ raw: [UInt8]) throws(Violation) -> [UInt8] {
            var out: [UInt8] = []
            var i = 0
            func hex4(_ from: Int) throws(Violation) -> UInt32 {
                guard from + 4 <= raw.count else { throw fail("a \\u escape is cut short") }
                var v: UInt32 = 0
                for b in raw[from..<from + 4] {
                    let d: UInt32
                    switch b {
                    case 0x30...0x39: d = UInt32(b - 0x30)
                    case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                    case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                    default: throw fail("a \\u escape has a character that is not a hex digit")
                    }
                    v = v << 4 | d
                }
                return v
            }
            while i < raw.count {
                let b = raw[i]
                guard b == 0x5C else {
                    out.append(b)
                    i += 1
                    continue
                }
                guard i + 1 < raw.count else { throw fail("a string ends in a backslash") }
                switch raw[i + 1] {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x2F: out.append(0x2F)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4(i + 2)
                    i += 6
                    if (0xD800...0xDBFF).contains(scalar), i + 6 <= raw.count, raw[i] == 0x5C, raw[i + 1] == 0x75 {
                        let low = try hex4(i + 2)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        }
                    }
                    // A lone surrogate stays as its code unit's bytes: distinct, never equal to a real character.
                    if let s = Unicode.Scalar(scalar) {
                        out.append(contentsOf: Array(String(Character(s)).utf8))
                    } else {
                        out.append(contentsOf: [0xFF, UInt8(truncatingIfNeeded: scalar >> 8), UInt8(truncatingIfNeeded: scalar)])
                    }
                    continue
                default: throw fail("a string has an unknown escape")
                }
                i += 2
            }
            return out
        }

        mutating func number() throws(Violation) {
            let start = at
            if at < bytes.count, bytes[at] == 0x2D { at += 1 }
            var digits = 0
            while at < bytes.count {
                let b = bytes[at]
                if b >= 0x30, b <= 0x39 {
                    digits += 1
                    at += 1
                } else if b == 0x2E || b == 0x65 || b == 0x45 || b == 0x2B {
                    let text = String(decoding: bytes[start..<min(bytes.count, start + 24)], as: UTF8.self)
                    throw fail("the number \(text.prefix { !",}] \n".contains($0) }) has a fraction or an exponent; every number in this protocol is a whole number written without them (decimals are written {\"decimal\": \"12.5\"})")
                } else {
                    break
                }
            }
            guard digits > 0 else { throw fail("a '-' is not followed by digits") }
        }

        mutating func literal(_ word: String) throws(Violation) {
            let w = Array(word.utf8)
            guard bytes.count - at >= w.count, Array(bytes[at..<at + w.count]) == w else { throw fail("not valid JSON") }
            at += w.count
        }

        mutating func run() throws(Violation) {
            var stack: [Frame] = []
            // What the scanner expects next.
            enum Expect { case value, keyOrEnd, key, colon, commaOrEnd, valueOrEnd }
            var expect = Expect.value
            skipSpace()
            guard at < bytes.count else { throw fail("the body is empty; send a JSON object") }
            while true {
                skipSpace()
                if at >= bytes.count {
                    guard stack.isEmpty, expect == .commaOrEnd else { throw fail("the JSON ends too early") }
                    return
                }
                let b = bytes[at]
                switch expect {
                case .value, .valueOrEnd:
                    if expect == .valueOrEnd, b == 0x5D {  // ]
                        if try close(&stack) { return }
                        expect = .commaOrEnd
                        continue
                    }
                    if stack.count == 2, stack[0].isObject, !stack[1].isObject {
                        stack[1].count += 1
                        longestTopLevelArray = max(longestTopLevelArray, stack[1].count)
                    }
                    switch b {
                    case 0x7B:  // {
                        guard stack.count < StrictJSON.maxDepth else { throw fail("objects and arrays nest more than \(StrictJSON.maxDepth) deep") }
                        stack.append(Frame(isObject: true))
                        at += 1
                        expect = .keyOrEnd
                        continue
                    case 0x5B:  // [
                        guard stack.count < StrictJSON.maxDepth else { throw fail("objects and arrays nest more than \(StrictJSON.maxDepth) deep") }
                        stack.append(Frame(isObject: false))
                        at += 1
                        expect = .valueOrEnd
                        continue
                    case 0x22: _ = try string(decode: false)
                    case 0x2D, 0x30...0x39: try number()
                    case 0x74: try literal("true")
                    case 0x66: try literal("false")
                    case 0x6E: try literal("null")
                    default: throw fail("not valid JSON: a value was expected")
                    }
                    expect = .commaOrEnd
                    if stack.isEmpty {
                        skipSpace()
                        guard at == bytes.count else { throw fail("the JSON has more after its end") }
                        return
                    }
                case .keyOrEnd, .key:
                    if expect == .keyOrEnd, b == 0x7D {  // }
                        if try close(&stack) { return }
                        expect = .commaOrEnd
                        continue
                    }
                    guard b == 0x22 else { throw fail("not valid JSON: a key in quotes was expected") }
                    let key = try string(decode: true)
                    guard stack[stack.count - 1].insert(key) else {
                        throw fail("the key \"\(String(decoding: key.prefix(64), as: UTF8.self))\" appears twice in one object; give each key once")
                    }
                    expect = .colon
                case .colon:
                    guard b == 0x3A else { throw fail("not valid JSON: ':' was expected after a key") }
                    at += 1
                    expect = .value
                case .commaOrEnd:
                    guard let top = stack.last else { throw fail("the JSON has more after its end") }
                    if b == 0x2C {
                        at += 1
                        expect = top.isObject ? .key : .value
                    } else if (top.isObject && b == 0x7D) || (!top.isObject && b == 0x5D) {
                        if try close(&stack) { return }
                        expect = .commaOrEnd
                    } else {
                        throw fail("not valid JSON: ',' or the end of the \(top.isObject ? "object" : "array") was expected")
                    }
                }
            }
        }
    }
}
