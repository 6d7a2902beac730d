import DaftarClient
import DaftarModel
import DaftarServer
import DaftarStore
import DaftarTesting
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A central node on a loopback port, for the duration of `body`.
func withCentral<T>(_ store: Store, _ body: (String) async throws -> T) async throws -> T {
    try await withLiveServer(store, body)
}

/// 100 offices with 1,000 new changes each sync at once with one central node, against the same
/// 100,000 changes from one office.
func syncMany(_ options: Options) async throws -> [BenchRow] {
    let offices = 100
    let each = max(1, options.entries / offices)
    let folder = options.folder + "/daftar-bench-many-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var rng = SplitMix(state: 21)
    var stores: [Store] = []
    for o in 0..<offices {
        let store = try Store.create(at: folder + "/office-\(o).daftar", node: try NodeID("office-\(o)"))
        try store.write(as: "bench") { tx in for j in 0..<each { try tx.add(kind: Synthetic.kinds[j % Synthetic.kinds.count], fields: Synthetic.fields(j, &rng)) } }
        stores.append(store)
    }
    let single = try Store.create(at: folder + "/single.daftar", node: try NodeID("single-office"))
    var i = 0
    while i < offices * each {
        let end = min(offices * each, i + 1000)
        try single.write(as: "bench") { tx in for j in i..<end { try tx.add(kind: Synthetic.kinds[j % Synthetic.kinds.count], fields: Synthetic.fields(j, &rng)) } }
        i = end
    }
    // Baseline: one office, the same number of changes.
    let baselineCentral = try Store.create(at: folder + "/central-baseline.daftar", node: try NodeID("central"))
    let baseline: Double = try await withCentral(baselineCentral) { url in
        let remote = Remote(name: "central", url: url, token: try baselineCentral.registerPeer(single.node, role: .office))
        let client = try SyncClient(store: single, remote: remote)
        let start = ContinuousClock.now
        _ = try await client.sync(receive: false)
        let t = seconds(ContinuousClock.now - start)
        await client.shutdown()
        return t
    }
    let central = try Store.create(at: folder + "/central.daftar", node: try NodeID("central"))
    let (total, latencies, errors): (Double, [Double], Int) = try await withCentral(central) { url in
        let remotes = try stores.map { Remote(name: "central", url: url, token: try central.registerPeer($0.node, role: .office)) }
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: (Double, Bool).self) { group in
            for (store, remote) in zip(stores, remotes) {
                group.addTask {
                    let t0 = ContinuousClock.now
                    do {
                        let client = try SyncClient(store: store, remote: remote)
                        // Each office pushes its own changes; the baseline is one office pushing them all.
                        let summary = try await client.sync(receive: false)
                        await client.shutdown()
                        return (seconds(ContinuousClock.now - t0), summary.progress.sentChanges == each && summary.serverStop == nil)
                    } catch {
                        return (seconds(ContinuousClock.now - t0), false)
                    }
                }
            }
            var out: [(Double, Bool)] = []
            for await r in group { out.append(r) }
            return out
        }
        return (seconds(ContinuousClock.now - start), results.map(\.0).sorted(), results.filter { !$0.1 }.count)
    }
    let held = try central.changeCounts().held
    let converged = held == UInt64(offices * each) && errors == 0
    let p50 = latencies[latencies.count / 2] * 1000
    let p99 = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))] * 1000
    return [
        BenchRow(
            id: "sync-many", what: "\(offices) offices x \(each) changes at once to one central node", value: total, unit: "s", baseline: baseline, ratio: total / baseline,
            target: "ratio <= 1.5, all converge, 0 errors", met: total / baseline <= 1.5 && converged,
            note: String(format: "central holds %llu of %d changes, %d errors; per-office sync time p50 %.0f ms, p99 %.0f ms", held, offices * each, errors, p50, p99))
    ]
}

/// `daftar -c status` on a store of a million entries, against starting `true`.
/// Milliseconds a whole process takes, from its start to its exit; it must succeed.
/// Started with posix_spawn and reaped with waitpid, so that the figure is not rounded to the
/// polling interval of Foundation's Process.
func timedRun(_ path: String, _ arguments: [String]) throws -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let start = ContinuousClock.now
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let elapsed = seconds(ContinuousClock.now - start) * 1000
    guard status == 0 else { throw BenchError("\(path) \(arguments) failed (status \(status))") }
    return elapsed
}

func startBench(daftar: String, store: String) throws -> [BenchRow] {
    let run = timedRun
    var daftarTimes: [Double] = []
    var trueTimes: [Double] = []
    for _ in 0..<11 {
        daftarTimes.append(try run(daftar, ["--db", store, "--officer", "bench", "-c", "status"]))
        trueTimes.append(try run("/bin/true", []))
    }
    let d = median(daftarTimes)
    return [
        BenchRow(
            id: "start", what: "daftar -c status on a store of 1,000,000 entries", value: d, unit: "ms", baseline: median(trueTimes), ratio: d / median(trueTimes), target: "< 100 ms", met: d < 100)
    ]
}

/// Peak resident memory of `daftar serve` and `daftar sync` while the office's whole store
/// (a million changes) syncs to a fresh central node, as separate processes.
func memoryBench(daftar: String, office: String, folder: String) throws -> [BenchRow] {
    let central = folder + "/daftar-bench-memory-central.daftar"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: central + suffix) }
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: central + suffix) } }
    let officeCopy = folder + "/daftar-bench-memory-office.daftar"
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: officeCopy + suffix) }
    try FileManager.default.copyItem(atPath: office, toPath: officeCopy)
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: officeCopy + suffix) } }
    func run(_ arguments: [String], output: Pipe? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: daftar)
        p.arguments = arguments
        p.environment = ["DAFTAR_OFFICER": "bench", "PATH": "/usr/bin:/bin", "DAFTAR_PASSPHRASE_FILE": ProcessInfo.processInfo.environment["DAFTAR_PASSPHRASE_FILE"] ?? ""]
        p.standardOutput = output ?? FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
    let create = try run(["--db", central, "--node", "central", "-c", "status"])
    create.waitUntilExit()
    let tokenPipe = Pipe()
    let add = try run(["node", "add", "bench-office", "--db", central], output: tokenPipe)
    add.waitUntilExit()
    let token = String(decoding: tokenPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    let portPipe = Pipe()
    let server = try run(["serve", "--db", central, "--port", "0"], output: portPipe)
    defer { if server.isRunning { server.terminate() } }
    var port = ""
    let handle = portPipe.fileHandleForReading
    while port.isEmpty {
        let data = handle.availableData
        if data.isEmpty { throw BenchError("the server did not start") }
        port = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst(13)) } ?? ""
    }
    let remember = try run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", officeCopy])
    remember.waitUntilExit()
    let start = ContinuousClock.now
    let client = try run(["sync", "--db", officeCopy])
    var clientPeak = 0.0
    var serverPeak = 0.0
    while client.isRunning {
        clientPeak = max(clientPeak, peakResidentMegabytes(of: client.processIdentifier) ?? 0)
        serverPeak = max(serverPeak, peakResidentMegabytes(of: server.processIdentifier) ?? 0)
        Thread.sleep(forTimeInterval: 0.2)
    }
    let elapsed = seconds(ContinuousClock.now - start)
    serverPeak = max(serverPeak, peakResidentMegabytes(of: server.processIdentifier) ?? 0)
    server.terminate()
    server.waitUntilExit()
    guard client.terminationStatus == 0 else { throw BenchError("the memory sync failed") }
    let note = String(format: "a million changes synced in %.0f s", elapsed)
    return [
        BenchRow(
            id: "memory-client", what: "peak RSS of daftar sync, 1,000,000 changes", value: clientPeak, unit: "MB", baseline: nil, ratio: nil, target: "< 200 MB", met: clientPeak < 200, note: note),
        BenchRow(id: "memory-server", what: "peak RSS of daftar serve, 1,000,000 changes", value: serverPeak, unit: "MB", baseline: nil, ratio: nil, target: "< 200 MB", met: serverPeak < 200),
    ]
}
