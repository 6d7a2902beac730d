public import DaftarClient
public import DaftarModel
public import DaftarStore
import DaftarSync
public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a load run did and found.
public struct LoadReport: Sendable, CustomStringConvertible {
    public var offices = 0
    public var slowClients = 0
    public var seconds = 0.0
    public var exchanges = 0
    public var errors: [String] = []
    /// Entries the offices recorded, and how many of them the central node holds at the end.
    public var recorded = 0
    public var heldAtCentral = 0
    /// Slow clients whose byte-at-a-time request was answered 200, and how long each took.
    public var slowAnswered = 0
    public var slowSeconds: [Double] = []
    /// Exchange latency of the ordinary offices, milliseconds.
    public var p50 = 0.0
    public var p99 = 0.0
    /// Offices that pulled everything at the end and then held exactly what the central node holds.
    public var converged = 0
    public var checkedForConvergence = 0
    /// Resident memory of this process (server and every simulated office), MB.
    public var residentStartMB = 0.0
    public var residentPeakMB = 0.0

    public var description: String {
        String(
            format:
                "%d offices + %d slow clients for %.0f s: %d exchanges, %d errors, p50 %.0f ms, p99 %.0f ms; %d of %d slow clients answered (%.1f–%.1f s each); %d entries recorded, %d at the central node; %d of %d offices converged; memory %.0f MB at start, %.0f MB at peak",
            offices, slowClients, seconds, exchanges, errors.count, p50, p99, slowAnswered, slowClients, slowSeconds.min() ?? 0, slowSeconds.max() ?? 0,
            recorded, heldAtCentral, converged, checkedForConvergence, residentStartMB, residentPeakMB)
    }
}

/// The resident memory of this process, MB.
public func residentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8), let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else {
        return 0
    }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// The largest resident size process `pid` has had (VmHWM), MB; nil when it cannot be read.
public func peakResidentMegabytes(of pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return nil }
    return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "").map { $0 / 1024 }
}

/// Many offices syncing with one central node at once for `seconds`, over loopback: each office
/// records a few entries and pushes them, again and again, while `slow` clients send their
/// request bodies a byte at a time. Then every office's entries must be at the central node,
/// and `convergenceSample` offices pull everything and must hold what it holds.
public func runLoad(offices count: Int, seconds: Double, slow: Int, convergenceSample: Int = 5, folder: String) async throws -> LoadReport {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

    var report = LoadReport()
    report.offices = count
    report.slowClients = slow
    report.seconds = seconds
    report.residentStartMB = residentMegabytes()
    let central = try Store.create(at: folder + "/central.daftar", node: try NodeID("central"))
    var offices: [Store] = []
    for i in 0..<count { offices.append(try Store.create(at: folder + "/office-\(i).daftar", node: try NodeID("office-\(i)"))) }
    var slowStores: [Store] = []
    for i in 0..<slow { slowStores.append(try Store.create(at: folder + "/slow-\(i).daftar", node: try NodeID("slow-\(i)"))) }

    let peak = Mutex(report.residentStartMB)
    let running = Atomic<Bool>(true)
    let sampler = Thread {
        while running.load(ordering: .relaxed) {
            let now = residentMegabytes()
            peak.withLock { $0 = max($0, now) }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
    sampler.start()
    defer { running.store(false, ordering: .relaxed) }

    try await withLiveServer(central) { url in
        let port = Int(url.split(separator: ":").last!)!
        var remotes: [Remote] = []
        for office in offices {
            let remote = Remote(name: "central", url: url, token: try central.registerPeer(office.node, role: .office))
            try office.saveRemote(remote)
            remotes.append(remote)
        }
        var slowTokens: [String] = []
        for store in slowStores { slowTokens.append(try central.registerPeer(store.node, role: .office)) }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))

        // The slow clients: one request each, a byte every few milliseconds, on threads of their own.
        let slowResults = Mutex<[(Int, Double)]>([])
        var slowThreads: [Thread] = []
        for (i, store) in slowStores.enumerated() {
            try store.add(kind: Kind("incident"), fields: [try FieldName("title"): .text("sent a byte at a time by slow client \(i)")], as: "Slow")
            let body = try JSONEncoder().encode(SyncRequest(node: store.node, knowledge: try store.knowledge(), changes: try store.changes(missingFrom: Knowledge()).changes))
            let token = slowTokens[i]
            // Spread over most of the run: the whole body takes about 80% of it.
            let pause = max(0.001, seconds * 0.8 / Double(body.count))
            let thread = Thread {
                let started = Date()
                var status = 0
                if let connection = try? RawHTTP(port: port, timeout: seconds * 2 + 30) {
                    var ok = connection.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: SyncProtocol.jsonType, length: body.count))
                    for byte in body where ok {
                        ok = connection.send([byte])
                        Thread.sleep(forTimeInterval: pause)
                    }
                    status = (try? connection.response().status) ?? 0
                }
                slowResults.withLock { $0.append((status, Date().timeIntervalSince(started))) }
            }
            thread.start()
            slowThreads.append(thread)
        }

        // The ordinary offices: record, push, pause, until the deadline.
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for (i, office) in offices.enumerated() {
                let remote = remotes[i]
                group.addTask {
                    var rng = SplitMix(state: UInt64(i) &+ 1)
                    guard let client = try? SyncClient(store: office, remote: remote) else {
                        tally.errors.withLock { $0.append("office \(i): no sync client could be made") }
                        return
                    }
                    // At least one round each, however late the task starts (on a busy machine
                    // the shared threads may reach it after the deadline).
                    repeat {
                        do {
                            let n = Int(rng.next() % 3) + 1
                            try office.write(as: "Officer \(i)") { tx in
                                for j in 0..<n {
                                    try tx.add(kind: Kind("incident"), fields: [try FieldName("title"): .text("load entry \(j) of office \(i)"), try FieldName("n"): .integer(Int64(j))])
                                }
                            }
                            tally.recorded.add(n, ordering: .relaxed)
                            let started = ContinuousClock.now
                            let summary = try await client.sync(receive: false)
                            let elapsed = ContinuousClock.now - started
                            tally.latencies.withLock { $0.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000) }
                            tally.exchanges.add(summary.progress.exchanges, ordering: .relaxed)
                            if !summary.complete { tally.errors.withLock { $0.append("office \(i): sync incomplete") } }
                        } catch {
                            tally.errors.withLock { $0.append("office \(i): \(error)") }
                        }
                        try? await Task.sleep(for: .milliseconds(Int(rng.next() % 400) + 100))
                    } while ContinuousClock.now < deadline
                    await client.shutdown()
                }
            }
        }
        for thread in slowThreads {
            while !thread.isFinished { try await Task.sleep(for: .milliseconds(50)) }
        }
        let slowDone = slowResults.withLock { $0 }
        report.slowAnswered = slowDone.filter { $0.0 == 200 }.count
        report.slowSeconds = slowDone.map(\.1)
        report.exchanges = tally.exchanges.load(ordering: .relaxed)
        report.errors = tally.errors.withLock { $0 }
        report.recorded = tally.recorded.load(ordering: .relaxed) + slowStores.count
        let sorted = tally.latencies.withLock { $0 }.sorted()
        if !sorted.isEmpty {
            report.p50 = sorted[sorted.count / 2]
            report.p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        }
        report.heldAtCentral = try central.count(Query())

        // Convergence: a sample of offices pulls everything.
        let everything = try central.allRecords()
        for i in stride(from: 0, to: offices.count, by: max(1, offices.count / max(1, convergenceSample))).prefix(convergenceSample) {
            let client = try SyncClient(store: offices[i], remote: remotes[i])
            let summary = try await client.sync()
            await client.shutdown()
            report.checkedForConvergence += 1
            if summary.complete, try offices[i].allRecords() == everything { report.converged += 1 }
        }
    }
    running.store(false, ordering: .relaxed)
    report.residentPeakMB = peak.withLock { $0 }
    return report
}

/// What the simulated offices count while they run.
final class Tally: Sendable {
    let latencies = Mutex<[Double]>([])
    let errors = Mutex<[String]>([])
    let exchanges = Atomic<Int>(0)
    let recorded = Atomic<Int>(0)
}
