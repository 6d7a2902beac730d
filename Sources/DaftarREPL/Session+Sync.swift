import DaftarClient
import DaftarModel
import DaftarStore
import Dispatch
import Foundation

extension Session {
    /// Syncs with one remote or all, waiting for the end; the console is line by line, so the
    /// officer waits too.
    func sync(_ name: String?) throws -> Output {
        let remotes = try store.remotes()
        let chosen = name.map { n in remotes.filter { $0.name == n } } ?? remotes
        guard !chosen.isEmpty else {
            throw CommandError(name.map { "no remote named \($0): see remotes" } ?? "no remotes: add one with daftar remote add NAME URL --token TOKEN")
        }
        var lines: [String] = []
        var failure: String?
        for remote in chosen {
            let store = self.store
            let outcome = Self.wait {
                do {
                    let client = try SyncClient(store: store, remote: remote)
                    let summary = try await client.sync()
                    await client.shutdown()
                    return Result<SyncSummary, SyncError>.success(summary)
                } catch let error as SyncError {
                    return .failure(error)
                } catch {
                    return .failure(SyncError(.store, "\(error)"))
                }
            }
            switch outcome {
            case .success(let s):
                var line = "synced with \(s.remote): sent \(s.progress.sentChanges), received \(s.progress.receivedChanges), \(s.newConflicts) new conflicts"
                if let stop = s.serverStop { line += "\n  \(s.remote) stopped taking this node's changes: \(stop.message)" }
                if !s.heldBack.isEmpty { line += "\n  \(s.heldBack.count) origin(s) held back: this node may pass on only its own changes to \(s.remote)" }
                for fork in s.forks { line += "\n  FORK: \(fork)" }
                lines.append(line)
            case .failure(let error):
                lines.append("sync with \(remote.name) failed")
                failure = error.message
            }
        }
        return Output(text: lines.joined(separator: "\n"), error: failure)
    }

    /// Runs async work to its end from the console's thread.
    static func wait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Box<T>()
        Task.detached {
            box.value = await work()
            semaphore.signal()
        }
        semaphore.wait()
        return box.value!
    }
}

/// Carries a result from a detached task to the waiting thread; the semaphore orders the
/// write before the read.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
