import ArgumentParser
import DaftarClient
import DaftarModel
import DaftarREPL
import DaftarStore
import Foundation

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Sync with one remembered server, or all of them.",
        discussion: """
            With --every, keeps syncing until SIGINT or SIGTERM; each line starts with the time. While the link is down it \
            waits twice as long after each failure, at most 60 s (or the interval, if longer), and goes back to the interval \
            after the first sync that succeeds.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The remote's name (default: every remote).") var name: String?
    @Option(help: "Sync again after this long, for example 30s, 5m or 1h; keeps running.") var every: String?
    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }
    @Flag(name: .customLong("json-body"), help: "Send JSON request bodies instead of the compact encoding (for inspecting traffic).") var jsonBody = false
    @Flag(help: "Compress bodies both ways with gzip (for slow links).") var gzip = false
    @Flag(help: "Only send this node's changes; receive nothing this time (a quick push over a slow link).") var push = false


    func run() async throws {
        let s: Store
        do { s = try store.open() } catch { throw fail(error, json: json) }
        let interval = try every.map(Self.parseDuration)
        var failures = 0
        while true {
            let ok = await syncOnce(s, stamped: interval != nil)
            guard let interval else {
                if !ok { throw ExitCode(1) }
                return
            }
            failures = ok ? 0 : failures + 1
            let wait = ok ? interval : SyncReport.backOff(interval: interval, failures: failures)
            if !ok { note("will try again in \(Int(wait)) s", stamped: true) }
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

    static let clock: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f
    }()

    /// A line about a failure: with --every, on standard output with the time, in order with the
    /// syncs (the loop's log); once, on standard error. In JSON mode standard output carries only
    /// documents.
    func note(_ text: String, stamped: Bool) {
        let line = (stamped ? Self.clock.string(from: Date()) + "  " : "") + text + "\n"
        if stamped, !json {
            FileHandle.standardOutput.write(Data(line.utf8))
        } else {
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// One sync with the chosen remotes; prints a progress line on long syncs and a summary.
    func syncOnce(_ s: Store, stamped: Bool) async -> Bool {
        let remotes: [Remote]
        do { remotes = try s.remotes() } catch {
            _ = fail(error, json: json)
            return false
        }
        let chosen = name.map { n in remotes.filter { $0.name == n } } ?? remotes
        if chosen.isEmpty {
            _ = fail(StoreError(.badRequest, name.map { "no remote named \($0): see daftar remote list" } ?? "no remotes: add one with daftar remote add NAME URL --token TOKEN"), json: json)
            return false
        }
        var allOK = true
        for remote in chosen {
            let outcome = await Syncing.run(s, remote, jsonBody: jsonBody, gzip: gzip, push: push, progressLine: !json)
            let line: String
            switch outcome {
            case .success(let summary):
                line = json ? encodeJSON(SyncReport.json(summary)) : (stamped ? Self.clock.string(from: Date()) + "  " : "") + SyncReport.text(summary)
                allOK = allOK && SyncReport.ok(summary)
            case .failure(let error):
                allOK = false
                if json {
                    line = encodeJSON(SyncReport.json(failed: remote.name, error))
                } else {
                    note("error: sync with \(remote.name) failed: \(error.message)", stamped: stamped)
                    continue
                }
            }
            // Unbuffered, so that a long-running `--every` shows each sync as it ends.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        return allOK
    }
}

/// One sync with one remote.
enum Syncing {
    static func run(_ store: Store, _ remote: Remote, jsonBody: Bool, gzip: Bool, push: Bool, progressLine: Bool) async -> Result<SyncSummary, SyncError> {
        let tty = progressLine && isatty(STDERR_FILENO) == 1
        do throws(SyncError) {
            let summary = try await SyncClient.using(store: store, remote: remote, encoding: jsonBody ? .json : .compact, gzip: gzip) { client throws(SyncError) in
                let started = ContinuousClock.now
                return try await client.sync(receive: !push) { p in
                    // A progress line once a sync takes more than a second.
                    guard tty, ContinuousClock.now - started > .seconds(1) else { return }
                    let text = "\r\(remote.name): sent \(p.sentChanges) (\(p.sentBytes / 1024) KiB), received \(p.receivedChanges) (\(p.receivedBytes / 1024) KiB)…"
                    FileHandle.standardError.write(Data(text.utf8))
                }
            }
            if tty, summary.duration > .seconds(1) { FileHandle.standardError.write(Data("\n".utf8)) }
            return .success(summary)
        } catch {
            return .failure(error)
        }
    }
}
