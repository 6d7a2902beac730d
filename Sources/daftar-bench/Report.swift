import Foundation

/// One benchmark's figures: the measured value, its baseline from the same run, and the ratio.
struct BenchRow: Codable, Sendable {
    var id: String
    var what: String
    var value: Double
    var unit: String
    var baseline: Double?
    var ratio: Double?
    var target: String
    var met: Bool?
    var note: String?
}

/// Prints rows as a table and writes them as JSON.
enum Report {
    static func print(_ rows: [BenchRow]) {
        func f(_ x: Double?) -> String {
            guard let x else { return "—" }
            return x >= 100 ? String(format: "%.0f", x) : String(format: "%.2f", x)
        }
        let header = ["id", "measured", "baseline", "ratio", "target", "met"]
        var table = [header]
        for r in rows {
            table.append([r.id, "\(f(r.value)) \(r.unit)", r.baseline.map { "\(f($0)) \(r.unit)" } ?? "—", f(r.ratio), r.target, r.met.map { $0 ? "yes" : "NO" } ?? "—"])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in table { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        for (n, row) in table.enumerated() {
            Swift.print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            if n == 0 { Swift.print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        for r in rows where r.note != nil { Swift.print("\(r.id): \(r.note!)") }
    }

    static func write(_ rows: [BenchRow], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(rows).write(to: URL(fileURLWithPath: path))
    }
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Seconds taken to run `body` over `0..<count` cut into batches of `size`.
func timeInBatches(count: Int, size: Int, _ body: (Range<Int>) throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    var at = 0
    while at < count {
        let end = min(count, at + size)
        try body(at..<end)
        at = end
    }
    return seconds(ContinuousClock.now - start)
}

/// Times the measured code and its baseline, alternating which goes first from run to run, so
/// that neither always meets a warmer cache. Returns (measured, baseline) seconds.
func alternating(run: Int, _ measured: () throws -> Double, _ baseline: () throws -> Double) rethrows -> (Double, Double) {
    if run % 2 == 0 {
        let m = try measured()
        return (m, try baseline())
    }
    let b = try baseline()
    return (try measured(), b)
}
