import Foundation
import Testing

/// `swift test` replays the saved fuzz inputs through the built replayers (a normal build of a
/// fuzz target runs each file it is given), so that an input that once crashed stays fixed.
@Suite(.timeLimit(.minutes(3))) struct FuzzCorpusTests {
    /// The package's root folder, from this file's path (Tests/DaftarCLITests/FuzzCorpusTests.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each fuzz replayer runs every input of its corpus (Fuzz/corpus/wire, Fuzz/corpus/command) without a crash, exits 0 and says how many it ran.
    @Test(arguments: zip(["FuzzWire", "FuzzCommand"], ["wire", "command"]))
    func fuzzCorpus_replaysWithoutACrash(target: String, corpus: String) throws {
        let folder = Self.packageRoot.appendingPathComponent("Fuzz/corpus/\(corpus)").path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(inputs.count > 0, "no inputs in \(folder)")
        let replayer = try Executable(target)
        let result = try replayer.run([folder], timeout: 120)
        #expect(result.status == 0, "\(target) \(folder): \(result.err)")
        #expect(result.out == "ran \(inputs.count) input(s), no crash\n", "\(result.out) \(result.err)")
    }
}
