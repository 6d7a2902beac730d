import ArgumentParser
import DaftarClient
import DaftarModel
import DaftarStore
import Foundation

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Sync with one remembered server, or all of them.",
        discussion: "With --every, keeps syncing until SIGINT or SIGTERM, backing off while the link is down.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The remote's name (default: every remote).") var name: String?
    @Option(help: "Sync again after this long, for example 30s, 5m or 1h; keeps running.") var every: String?
    @Flag(help: "Send JSON bodies instead of the compact encoding.") var json = false
    @Flag(help: "Compress bodies both ways with gzip (for slow links).") var gzip = false
    @Flag(help: "Only send this node's changes; receive nothing this time (a quick push over a slow link).") var push = false

    func run() async throws {
        let s: Store
        do { s = try store.open() } catch { throw fail(error) }
        let interval = try every.map(Self.parseDuration)
        var failures = 0
        while true {
            let ok = await syncOnce(s)
            guard let interval else {
                if !ok { throw ExitCode(1) }
                return
            }
            failures = ok ? 0 : min(failures + 1, 6)
            // Back off while the link is down: 2, 4, 8, ... times the interval, at most an hour.
            let wait = ok ? interval : min(interval * Double(1 << failures), max(interval, 3600))
            if !ok { FileHandle.standardError.write(Data("will try again in \(Int(wait)) s\n".utf8)) }
            do { try await Task.sleep(for: .seconds(wait)) } catch { return }
        }
    }

    static func parseDuration(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        guard let unit = text.last, let factor = units[unit], let n = Double(text.dropLast()), n > 0 else {
            throw ValidationError("'\(text)' is not a duration: write for example 30s, 5m or 1h")
        }
        return n * factor
    }

    /// One sync with the chosen remotes; prints a progress line on long syncs and a summary.
    func syncOnce(_ s: Store) async -> Bool {
        let remotes: [Remote]
        do { remotes = try s.remotes() } catch {
            _ = fail(error)
            return false
        }
        let chosen = name.map { n in remotes.filter { $0.name == n } } ?? remotes
        if chosen.isEmpty {
            _ = fail(StoreError(.badRequest, name.map { "no remote named \($0): see daftar remote list" } ?? "no remotes: add one with daftar remote add NAME URL --token TOKEN"))
            return false
        }
        var allOK = true
        for remote in chosen {
            let line = await Syncing.run(s, remote, json: json, gzip: gzip, push: push)
            // Unbuffered, so that a long-running `--every` shows each sync as it ends.
            FileHandle.standardOutput.write(Data((line.text + "\n").utf8))
            allOK = allOK && line.ok
        }
        return allOK
    }
}

/// One sync with one remote, as a line for the officer.
enum Syncing {
    static func run(_ store: Store, _ remote: Remote, json: Bool, gzip: Bool, push: Bool) async -> (text: String, ok: Bool) {
        let tty = isatty(STDERR_FILENO) == 1
        do {
            let client = try SyncClient(store: store, remote: remote, encoding: json ? .json : .compact, gzip: gzip)
            defer { Task.detached { await client.shutdown() } }
            let started = ContinuousClock.now
            let summary = try await client.sync(receive: !push) { p in
                // A progress line once a sync takes more than a second.
                guard tty, ContinuousClock.now - started > .seconds(1) else { return }
                let text = "\r\(remote.name): sent \(p.sentChanges) (\(p.sentBytes / 1024) KiB), received \(p.receivedChanges) (\(p.receivedBytes / 1024) KiB)…"
                FileHandle.standardError.write(Data(text.utf8))
            }
            if tty, summary.duration > .seconds(1) { FileHandle.standardError.write(Data("\n".utf8)) }
            return (describe(summary), summary.serverStop == nil && summary.localStop == nil && summary.forks.isEmpty)
        } catch {
            return ("sync with \(remote.name) failed: \(error.message)", false)
        }
    }

    static func describe(_ s: SyncSummary) -> String {
        let ms = Int(s.duration.components.seconds * 1000 + s.duration.components.attoseconds / 1_000_000_000_000_000)
        var lines = ["synced with \(s.remote)\(s.server.map { " (\($0))" } ?? ""): sent \(s.progress.sentChanges), received \(s.progress.receivedChanges), \(s.newConflicts) new conflicts, \(ms) ms"]
        if let stop = s.serverStop { lines.append("  \(s.remote) stopped taking this node's changes: \(stop.message)") }
        if let stop = s.localStop { lines.append("  this node stopped taking \(s.remote)'s changes: \(stop)") }
        if !s.heldBack.isEmpty {
            lines.append(
                "  \(s.heldBack.count) origin(s) held back from \(s.remote), first \(s.heldBack[0]): this node may pass on only its own changes there; register it as a relay on \(s.remote), or let \(s.remote) get them from their origin"
            )
        }
        for fork in s.forks { lines.append("  FORK: \(fork)") }
        for skew in s.skews { lines.append("  clock: \(skew.dot.origin) is \(skew.skewMilliseconds / 1000) s past the allowed drift") }
        return lines.joined(separator: "\n")
    }
}
