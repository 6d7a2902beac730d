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
        var documents: [SyncReport.JSON] = []
        var failure: String?
        for remote in chosen {
            let store = self.store
            let outcome = Self.wait {
                do throws(SyncError) {
                    // The client is shut down however the sync ends: a failed sync is one error line.
                    return Result<SyncSummary, SyncError>.success(try await SyncClient.using(store: store, remote: remote) { client throws(SyncError) in try await client.sync() })
                } catch {
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let s):
                lines.append(SyncReport.text(s))
                documents.append(SyncReport.json(s))
            case .failure(let error):
                lines.append("sync with \(remote.name) failed")
                documents.append(SyncReport.json(failed: remote.name, error))
                failure = error.message
            }
        }
        if json { return Output(text: encode(["syncs": documents]), error: failure) }
        return Output(text: lines.joined(separator: "\n"), error: failure)
    }

    /// Where this store's history of `origin` parts from the one a remote holds: the seq to
    /// give `fork discard` on the store whose branch does not live.
    /// `fork show ORIGIN`: each fork of `origin` this store keeps, per chain, with its proof's
    /// two signed runs (what each says of the change at the fork, and the key that signed it).
    func forkShow(_ origin: NodeID) throws -> Output {
        let forks = try store.knownForks().filter { $0.dot.origin == origin }
        guard !forks.isEmpty else {
            throw CommandError("this store keeps no fork of \(origin) (status lists the forks it knows)")
        }
        struct RunJSON: Encodable {
            var scope: String, from: String, through: String, headers: Int, hash: String, key: String, officer: String, at: String
        }
        struct ForkJSON: Encodable {
            var scope: String?, dot: String, localHash: String, remoteHash: String, proven: Bool, runs: [RunJSON]
        }
        var shown: [ForkJSON] = []
        var lines: [String] = []
        for fork in forks {
            let chain = fork.scope.map { "in scope \($0)" } ?? "(the whole office, kept before fork proofs)"
            var runs: [RunJSON] = []
            if let scope = fork.scope, let proof = try store.forkProof(of: Chain(origin, scope)) {
                for run in [proof.first, proof.second] {
                    // The header the run gives at the fork (or the first, when it speaks of it by its prev).
                    let at = run.headers.first { $0.dot.seq >= fork.dot.seq } ?? run.headers[0]
                    runs.append(
                        RunJSON(
                            scope: run.chain.scope.rawValue, from: run.headers[0].dot.description, through: run.signed.dot.description, headers: run.headers.count,
                            hash: at.hash.hex, key: run.signature.key.hex, officer: at.officer, at: isoTime(at.wallTime)))
                }
            }
            shown.append(
                ForkJSON(
                    scope: fork.scope?.rawValue, dot: fork.dot.description, localHash: fork.localHash.hex, remoteHash: fork.remoteHash.hex, proven: !runs.isEmpty,
                    runs: runs))
            lines.append("FORK \(origin) \(chain), at \(fork.dot): here \(fork.localHash), there \(fork.remoteHash)")
            if runs.isEmpty {
                lines.append("  not proven: shown by a peer's knowledge of its own history, at a store that verified no signatures then")
            }
            for (label, run) in zip(["first ", "second"], runs) {
                lines.append(
                    "  \(label)  \(run.from) to \(run.through) in \(run.scope) (\(run.headers) header(s)), signed by key \(PublicKey.groupedFingerprintText(String(run.key.prefix(16))))…; at the fork: hash \(run.hash.prefix(12)), \(run.officer), \(run.at)"
                )
            }
        }
        lines.append("to recover: fork find \(origin) with REMOTE, then fork discard \(origin) from SEQ or fork keep \(origin) (README, Forks)")
        if json { return Output(text: encode(["origin": AnyEncodable(origin.rawValue), "forks": AnyEncodable(shown)])) }
        return Output(text: lines.joined(separator: "\n"))
    }

    func forkFind(_ origin: NodeID, _ remoteName: String) throws -> Output {
        guard let remote = try store.remotes().first(where: { $0.name == remoteName }) else {
            throw CommandError("no remote named \(remoteName): see remotes")
        }
        let held = try store.knowledge().highestSeq(of: origin)
        guard held > 0 else { throw CommandError("this store holds no changes of \(origin)") }
        let store = self.store
        let result = Self.wait { () -> Result<[UInt64: ContentHash], SyncError> in
            do throws(SyncError) {
                return .success(
                    try await SyncClient.using(store: store, remote: remote) { client throws(SyncError) in
                        var hashes: [UInt64: ContentHash] = [:]
                        var from: UInt64 = 1
                        while from <= held {
                            let to = min(held, from + 99_999)
                            hashes.merge(try await client.chainHashes(of: origin, from: from, to: to)) { a, _ in a }
                            from = to + 1
                        }
                        return hashes
                    })
            } catch {
                return .failure(error)
            }
        }
        let hashes: [UInt64: ContentHash]
        switch result {
        case .success(let h): hashes = h
        case .failure(let error): throw CommandError(error.message)
        }
        guard let seq = try store.firstDifference(of: origin, comparedWith: hashes) else {
            return Output(text: "this store's history of \(origin) agrees with \(remoteName)'s wherever both hold a change")
        }
        return Output(
            text: json
                ? encode(["origin": origin.rawValue, "firstDifferentSeq": "\(seq)"])
                : "the histories of \(origin) here and at \(remoteName) part at seq \(seq): if this store's branch does not live, run: fork discard \(origin) from \(seq)")
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
