import Foundation
import Testing

/// Two hundred simulated offices on loopback pushing to one central node at once, ten slow
/// clients among them sending their bodies a byte at a time (the short form of
/// `scripts/load.sh`, which runs the same for 60 seconds).
@Suite(.timeLimit(.minutes(3))) struct LoadTests {
    @Test func twoHundredOffices_andSlowClients_allAnswered_nothingLost() async throws {
        let folder = try TemporaryFolder()
        let report = try await runLoad(offices: 200, seconds: 6, slow: 10, folder: folder.path)
        print("load: \(report)")
        #expect(report.errors.isEmpty, "\(report.errors.prefix(5))")
        #expect(report.exchanges > 200, "the offices made too few exchanges for the test to mean anything")
        #expect(report.slowAnswered == report.slowClients)
        #expect(report.heldAtCentral == report.recorded)
        #expect(report.converged == report.checkedForConvergence && report.checkedForConvergence == 5)
        // Two hundred open stores and a server in one process: memory must stay bounded.
        #expect(report.residentPeakMB < 1500)
    }
}
