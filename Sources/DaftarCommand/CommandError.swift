/// A command line that cannot be understood, or a command that failed; the message says what
/// was wrong and shows the right form.
public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
