import DaftarModel
import DaftarStore
import DaftarTesting
import Foundation

/// Daftar's benchmarks. Run through scripts/measure-find.sh (release build).
///
///     daftar-bench find-search [--entries N] [--dir PATH] [--repeat R]
///
/// Fills a store with N synthetic entries (about six fields and 150 bytes of text each) and
/// reports the median time of: the first 50 entries with a field value held by about 0.1% of
/// them, a two-condition find, a count by kind, and a full-text search for a surname held by
/// about 1% of them.

struct Options {
    var entries = 1_000_000
    var folder = FileManager.default.temporaryDirectory.path
    var repeats = 21
    var daftar: String?
    var out = "bench-results.json"
    var skipLarge = false
    var only: Set<String>?

    init(_ arguments: ArraySlice<String>) throws {
        var it = arguments.makeIterator()
        while let arg = it.next() {
            switch arg {
            case "--entries": entries = try Self.number(it.next(), arg)
            case "--dir": folder = it.next() ?? folder
            case "--repeat": repeats = try Self.number(it.next(), arg)
            case "--daftar": daftar = it.next()
            case "--out": out = it.next() ?? out
            case "--skip-large": skipLarge = true
            case "--only": only = Set((it.next() ?? "").split(separator: ",").map(String.init))
            default: throw BenchError("unknown option \(arg): use --entries N, --dir PATH, --repeat R, --daftar PATH, --out FILE, --skip-large")
            }
        }
    }

    static func number(_ text: String?, _ name: String) throws -> Int {
        guard let text, let n = Int(text.replacingOccurrences(of: "_", with: "")), n > 0 else { throw BenchError("\(name) takes a positive number") }
        return n
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

enum Synthetic {
    /// Records `count` synthetic entries in `store`, 1,000 per transaction.
    static func fill(_ store: Store, count: Int, seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        var i = 0
        while i < count {
            let end = min(count, i + 1000)
            try store.write(as: "bench") { tx in
                for j in i..<end { try tx.add(kind: kinds[j % kinds.count], fields: fields(j, &rng)) }
            }
            i = end
        }
    }

    static let kinds = ["person", "person", "person", "person", "vehicle", "vehicle", "incident", "incident", "case", "seizure"].map { try! Kind($0) }
    static let cities = ["Lahore", "Karachi", "Quetta", "Peshawar", "Multan", "Gwadar", "Sialkot", "Hyderabad", "Sukkur", "Faisalabad"]
    static let statuses = ["open", "closed", "referred", "pending"]
    static let firstNames = ["Muhammad", "Ali", "Ayesha", "Fatima", "Bilal", "Hassan", "Zainab", "Usman", "Sana", "Imran", "Naveed", "Rashid"]
    static let words = ["seized", "container", "port", "raid", "call", "centre", "report", "witness", "vehicle", "border", "phones", "cash", "diesel", "statement", "arrest", "warrant"]
    /// Surnames other than the measured one; "qureshi" is given to 1 entry in 100.
    static let surnames = (0..<200).map { "surname\($0)" }

    static func fields(_ i: Int, _ rng: inout SplitMix) -> [FieldName: FieldValue] {
        let surname = i % 100 == 0 ? "Qureshi" : surnames[Int.random(in: 0..<surnames.count, using: &rng)]
        var note = ""
        while note.utf8.count < 90 { note += words[Int.random(in: 0..<words.count, using: &rng)] + " " }
        return [
            try! FieldName("name"): .text(firstNames[Int.random(in: 0..<firstNames.count, using: &rng)] + " " + surname),
            try! FieldName("city"): .text(cities[Int.random(in: 0..<cities.count, using: &rng)]),
            try! FieldName("status"): .text(statuses[Int.random(in: 0..<statuses.count, using: &rng)]),
            try! FieldName("code"): .text("C-\(i % 1000)"),  // each code is held by 0.1% of entries
            try! FieldName("age"): .integer(Int64(18 + i % 60)),
            try! FieldName("note"): .text(note),
        ]
    }
}

func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    return times.sorted()[times.count / 2]
}

@discardableResult
func findSearch(_ options: Options) throws -> (rows: [BenchRow], path: String) {
    let path = options.folder + "/daftar-bench-\(options.entries).daftar"
    let store: Store
    if FileManager.default.fileExists(atPath: path), let existing = try? Store.open(at: path), try existing.count(Query()) == options.entries {
        store = existing
        print("reusing \(path) (\(options.entries) entries)")
    } else {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        store = try Store.create(at: path, node: try NodeID("bench-office"))
        let start = ContinuousClock.now
        try Synthetic.fill(store, count: options.entries, seed: 42)
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        print("filled \(path) with \(options.entries) entries in \(Int(seconds)) s")
    }
    // The index is brought up to the end of the log before the finds are timed; how long that
    // takes after the fill is reported (it runs in the background during the fill).
    let indexStart = ContinuousClock.now
    try store.updateIndex()
    print(String(format: "index caught up %.1f s after the store was ready", seconds(ContinuousClock.now - indexStart)))
    let code = try FieldName("code")
    let city = try FieldName("city")
    let status = try FieldName("status")
    let person = try Kind("person")
    var results: [(String, Double, Int)] = []
    var n = 0
    let byField = try median(options.repeats) { n = try store.find(Query(where: .compare(code, .equal, .text("C-500")), limit: 50)).count }
    results.append(("find: first 50 with code = C-500 (0.1% hold it)", byField, n))
    let twoConditions = try median(options.repeats) {
        n = try store.find(Query(kind: person, where: .and(.compare(city, .equal, .text("Quetta")), .compare(status, .equal, .text("open"))), limit: 50)).count
    }
    results.append(("find: person where city = Quetta and status = open, first 50", twoConditions, n))
    let countKind = try median(options.repeats) { n = try store.countByKind().count }
    results.append(("count by kind", countKind, n))
    let search = try median(options.repeats) { n = try store.search("qureshi", limit: 50).count }
    results.append(("search: first 50 for a surname 1% hold", search, n))
    print("")
    print("median of \(options.repeats) runs over \(options.entries) entries")
    for (name, ms, rows) in results {
        print("\(name.padding(toLength: 66, withPad: " ", startingAt: 0)) \(String(format: "%9.2f", ms)) ms  (\(rows) rows)")
    }
    let ids = ["find-field", "find-two", "find-count", "search"]
    let rows = zip(ids, results).map { id, r in
        let target = id == "search" ? 20.0 : 10.0
        return BenchRow(id: id, what: r.0, value: r.1, unit: "ms", baseline: nil, ratio: nil, target: "median < \(Int(target)) ms", met: r.1 < target)
    }
    return (rows, path)
}

/// Records entries through the store's public API and through the plain baseline, in the same
/// transactions, alternating runs, and reports the median rates and their ratio.
@discardableResult
func writes(_ options: Options, perTransaction: Int) throws -> BenchRow {
    let kinds = Synthetic.kinds
    var ratios: [Double] = []
    var daftarRates: [Double] = []
    var plainRates: [Double] = []
    var catchUps: [Double] = []
    let runs = max(1, min(options.repeats, 5))
    for run in 0..<runs {
        let folder = options.folder + "/daftar-bench-write-\(ProcessInfo.processInfo.processIdentifier)-\(run)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rng = SplitMix(state: 7)
        let entries = (0..<options.entries).map { i in (kinds[i % kinds.count], Synthetic.fields(i, &rng)) }
        let store = try Store.create(at: folder + "/daftar.daftar", node: try NodeID("bench-office"))
        let plain = try PlainBaseline(path: folder + "/plain.sqlite")
        let (d, p) = try alternating(run: run) {
            let d = try timeInBatches(count: entries.count, size: perTransaction) { batch in
                try store.write(as: "bench") { tx in for j in batch { try tx.add(kind: entries[j].0, fields: entries[j].1) } }
            }
            // The index work still queued is finished before the baseline runs, and timed apart.
            let t = ContinuousClock.now
            try store.updateIndex()
            catchUps.append(seconds(ContinuousClock.now - t))
            return d
        } _: {
            try timeInBatches(count: entries.count, size: perTransaction) { batch in
                try plain.write { db in for j in batch { try plain.insert(db, kind: entries[j].0, fields: entries[j].1) } }
            }
        }
        daftarRates.append(Double(entries.count) / d)
        plainRates.append(Double(entries.count) / p)
        ratios.append(d / p)
    }
    func med(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    print("write \(options.entries) entries, \(perTransaction) per transaction, median of \(runs) runs:")
    print(String(format: "  daftar %10.0f entries/s   plain %10.0f entries/s   ratio (time) %.2f", med(daftarRates), med(plainRates), med(ratios)))
    // Judged on what an officer waits for: the writes and the index work every later find waits
    // for, against the plain application, whose index is kept inside its writes.
    let endToEnd = zip(daftarRates, catchUps).map { rate, wait in Double(options.entries) / (Double(options.entries) / rate + wait) }
    let endToEndRatios = zip(endToEnd, plainRates).map { $1 / $0 }
    return BenchRow(
        id: perTransaction == 1 ? "write-single" : "write-batch", what: "\(options.entries) entries, \(perTransaction) per transaction, until findable", value: med(endToEnd),
        unit: "entries/s", baseline: med(plainRates), ratio: med(endToEndRatios), target: "ratio <= 1.5", met: med(endToEndRatios) <= 1.5,
        note: String(
            format: "ratio is time over the plain application's time, counting the index work a find waits for (a median %.2f s after the last write); the writes alone: %.0f entries/s, ratio %.2f",
            med(catchUps), med(daftarRates), med(ratios)))
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// An officer signs in to every store the bench drives through the executable, as a script does.
func signInForBench() {
    let path = NSTemporaryDirectory() + "daftar-bench-passphrase-\(getpid())"
    FileManager.default.createFile(atPath: path, contents: Data("bench passphrase 2026\n".utf8), attributes: [.posixPermissions: 0o600])
    setenv("DAFTAR_OFFICER", "bench", 1)
    setenv("DAFTAR_PASSPHRASE_FILE", path, 1)
}

/// One sign-in at the default scrypt cost (N = 65,536, 64 MiB) against one at the lowest
/// (N = 1,024, 1 MiB), in this process: the time an officer waits at the console's start and at
/// every scripted command.
func signInBench(_ options: Options) throws -> [BenchRow] {
    let folder = options.folder + "/daftar-bench-signin-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func timed(rounds: Int) throws -> Double {
        var o = Store.Options()
        o.scryptRounds = rounds
        let store = try Store.create(at: folder + "/n\(rounds).daftar", node: try NodeID("bench-office"), options: o)
        try store.addOfficer("bench", passphrase: "bench passphrase 2026", by: nil)
        var times: [Double] = []
        for _ in 0..<7 {
            let start = ContinuousClock.now
            _ = try store.signIn("bench", passphrase: "bench passphrase 2026")
            times.append(seconds(ContinuousClock.now - start))
        }
        return median(times)
    }
    let full = try timed(rounds: 1 << 16)
    let low = try timed(rounds: 1 << 10)
    return [
        BenchRow(
            id: "sign-in", what: "one sign-in, scrypt N=65,536 r=8 p=1 (64 MiB), the default", value: full * 1000, unit: "ms", baseline: low * 1000,
            ratio: full / low, target: "< 500 ms", met: full < 0.5, note: "against N=1,024 (1 MiB), the lowest cost taken; median of 7 each, the sign-in's log write included")
    ]
}

signInForBench()
let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "sync-hop":
        let options = try Options(arguments.dropFirst())
        Report.print(try runAsync { try await syncHop(options) })
    case "sync-many":
        let options = try Options(arguments.dropFirst())
        Report.print(try runAsync { try await syncMany(options) })
    case "apply": Report.print(try applyBench(try Options(arguments.dropFirst())))
    case "scopes":
        let options = try Options(arguments.dropFirst())
        Report.print(try runAsync { try await scopeBench(options) })
    case "codec": Report.print(try codecBench(try Options(arguments.dropFirst())))
    case "all": try runAll(try Options(arguments.dropFirst()))
    case "sign-in": Report.print(try signInBench(try Options(arguments.dropFirst())))
    case "signatures":
        let options = try Options(arguments.dropFirst())
        Report.print(try runAsync { try await signatureBench(options) })
    case "find-search": try findSearch(try Options(arguments.dropFirst()))
    case "query-forms":
        // daftar-bench query-forms --daftar PATH [--dir PATH]: on the million-entry store find-search made.
        let options = try Options(arguments.dropFirst())
        guard let daftar = options.daftar else { throw BenchError("query-forms needs --daftar PATH (a release build of daftar)") }
        let store = options.folder + "/daftar-bench-1000000.daftar"
        guard FileManager.default.fileExists(atPath: store) else { throw BenchError("no store at \(store): run daftar-bench find-search --entries 1000000 first") }
        Report.print(try queryFormsBench(daftar: daftar, store: store))
    case "write-batch": try writes(try Options(arguments.dropFirst()), perTransaction: 1000)
    case "write-single": try writes(try Options(arguments.dropFirst()), perTransaction: 1)
    case "load":
        // daftar-bench load [OFFICES] [SECONDS] [SLOW] [--dir PATH]: fails unless every promise held.
        let counts = arguments.dropFirst().prefix { !$0.hasPrefix("--") }
        guard counts.count <= 3, counts.allSatisfy({ Int($0).map { $0 > 0 } ?? false }) else {
            throw BenchError("load takes up to three positive numbers, OFFICES SECONDS SLOW (default 200 60 20), not '\(counts.joined(separator: " "))'")
        }
        var numbers = counts.compactMap { Int($0) }
        let options = try Options(arguments.dropFirst().drop { !$0.hasPrefix("--") })
        while numbers.count < 3 { numbers.append([200, 60, 20][numbers.count]) }
        let folder = options.folder + "/daftar-load-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (offices, seconds, slow) = (numbers[0], Double(numbers[1]), numbers[2])
        let report = try runAsync { try await runLoad(offices: offices, seconds: seconds, slow: slow, folder: folder) }
        print(report)
        for error in report.errors.prefix(10) { print("  error: \(error)") }
        let held = report.errors.isEmpty && report.slowAnswered == report.slowClients && report.heldAtCentral == report.recorded && report.converged == report.checkedForConvergence
        print(held ? "load: every exchange answered, nothing lost, converged" : "load: FAILED")
        if !held { exit(1) }
    default:
        print("usage: daftar-bench all|find-search|query-forms|write-batch|write-single|apply|codec|sync-hop|sync-many|scopes|signatures|load [--entries N] [--dir PATH] [--repeat R] [--daftar PATH] [--out FILE]")
        exit(arguments.first == nil ? 0 : 64)
    }
} catch {
    FileHandle.standardError.write(Data("daftar-bench: \(error)\n".utf8))
    exit(1)
}

/// Carries an error out of the detached benchmark task; the semaphore orders write and read.
final class FailureBox: @unchecked Sendable {
    var error: String?
}

/// Runs async benchmark work from the synchronous entry point.
func runAsync<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task.detached {
        do { box.value = .success(try await work()) } catch { box.value = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.value!.get()
}

/// Carries a result out of a detached task; the semaphore orders the write before the read.
final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}

/// Every benchmark, with the sizes the performance targets name; prints the table and writes JSON.
func runAll(_ options: Options) throws {
    var rows: [BenchRow] = []
    if options.only != nil, let data = FileManager.default.contents(atPath: options.out),
        let earlier = try? JSONDecoder().decode([BenchRow].self, from: data)
    {
        rows = earlier  // keep the other steps' figures from the last run
    }
    func step(_ name: String, _ body: () throws -> [BenchRow]) throws {
        guard options.only?.contains(name) ?? true else { return }
        FileHandle.standardError.write(Data("== \(name)\n".utf8))
        let new = try body()
        let ids = Set(new.map(\.id))
        rows.removeAll { ids.contains($0.id) }
        rows += new
        Report.print(new)
        try Report.write(rows, to: options.out)
    }
    var o = options
    o.entries = 100_000
    o.repeats = 3
    try step("write-batch") { [try writes(o, perTransaction: 1000)] }
    try step("sign-in") { try signInBench(o) }
    var single = o
    single.entries = 5000
    try step("write-single") { [try writes(single, perTransaction: 1)] }
    try step("apply") { try applyBench(o) }
    try step("codec") { try codecBench(o) }
    let hop = o
    try step("sync-hop") { try runAsync { try await syncHop(hop) } }
    try step("sync-many") { try runAsync { try await syncMany(hop) } }
    try step("scopes") { try runAsync { try await scopeBench(hop) } }
    try step("signatures") { try runAsync { try await signatureBench(hop) } }
    guard !options.skipLarge else {
        print("")
        Report.print(rows)
        return
    }
    var large = options
    large.entries = 1_000_000
    large.repeats = 21
    var storePath = ""
    try step("find-search") {
        let (r, path) = try findSearch(large)
        storePath = path
        return r
    }
    if storePath.isEmpty { storePath = large.folder + "/daftar-bench-\(large.entries).daftar" }
    let pullOptions = large
    try step("scope-pull-large") { try runAsync { try await scopePullLarge(pullOptions) } }
    if let daftar = options.daftar {
        try step("start") { try startBench(daftar: daftar, store: storePath) }
        try step("query-forms") { try queryFormsBench(daftar: daftar, store: storePath) }
        try step("memory") { try memoryBench(daftar: daftar, office: storePath, folder: options.folder) }
    }
    print("")
    Report.print(rows)
}
