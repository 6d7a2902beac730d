import Dispatch

/// Runs blocking store work (SQLite through GRDB) on a dispatch thread, so that it never holds
/// one of the few threads Swift concurrency and the event loops run on.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try body() })
        }
    }
}
