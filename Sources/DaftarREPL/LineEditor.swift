import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads lines from an officer at a terminal: with libedit (loaded at run time, so building
/// needs no system package beyond libsqlite3-dev) there are arrow keys, history kept across
/// sessions, and tab completion; without it, plain lines.
public final class LineEditor {
    /// Offers completions for the word being typed, given the whole line so far.
    public typealias Completer = (_ line: String, _ word: String) -> [String]

    private let edit: LibEdit?
    private let historyPath: String?

    /// Whether line editing (libedit) is available.
    public var isEditing: Bool { edit != nil }

    public init(historyPath: String?, completer: @escaping Completer) {
        edit = LibEdit.load()
        self.historyPath = historyPath
        if let edit {
            LineEditor.completer = completer
            edit.setUpCompletion()
            edit.stifle?(1000)
            if let historyPath { _ = historyPath.withCString { edit.readHistory($0) } }
        }
    }

    /// One line, without its line break; nil at end of input (Ctrl-D).
    public func readLine(prompt: String) -> String? {
        guard let edit else {
            FileHandle.standardOutput.write(Data(prompt.utf8))
            return Swift.readLine(strippingNewline: true)
        }
        guard let raw = prompt.withCString({ edit.readline($0) }) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty {
            _ = line.withCString { edit.addHistory($0) }
            if let historyPath { _ = historyPath.withCString { edit.writeHistory($0) } }
        }
        return line
    }

    // libedit calls back through C function pointers, which cannot capture context: the one
    // completer of the process is kept here. Only the thread reading lines uses it.
    nonisolated(unsafe) static var completer: Completer?
    nonisolated(unsafe) static var matches: [String] = []
}

/// The few functions of libedit's readline interface Daftar uses, found with dlopen/dlsym.
struct LibEdit {
    typealias ReadlineFn = @convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?
    typealias StringIntFn = @convention(c) (UnsafePointer<CChar>?) -> Int32
    typealias IntFn = @convention(c) (Int32) -> Void
    typealias Generator = @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>?
    typealias Attempted = @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    typealias MatchesFn = @convention(c) (UnsafePointer<CChar>?, Generator?) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    let readline: ReadlineFn
    let addHistory: StringIntFn
    let readHistory: StringIntFn
    let writeHistory: StringIntFn
    let stifle: IntFn?
    let completionMatches: MatchesFn
    let attemptedCompletion: UnsafeMutablePointer<Attempted?>
    let lineBuffer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    static func load() -> LibEdit? {
        guard let handle = dlopen("libedit.so.2", RTLD_NOW) ?? dlopen("libedit.so", RTLD_NOW) else { return nil }
        func symbol<T>(_ name: String, as: T.Type) -> T? {
            guard let pointer = dlsym(handle, name) else { return nil }
            return unsafeBitCast(pointer, to: T.self)
        }
        guard let readline = symbol("readline", as: ReadlineFn.self),
            let addHistory = symbol("add_history", as: StringIntFn.self),
            let readHistory = symbol("read_history", as: StringIntFn.self),
            let writeHistory = symbol("write_history", as: StringIntFn.self),
            let matches = symbol("rl_completion_matches", as: MatchesFn.self),
            let attempted = dlsym(handle, "rl_attempted_completion_function"),
            let lineBuffer = dlsym(handle, "rl_line_buffer")
        else { return nil }
        return LibEdit(
            readline: readline, addHistory: addHistory, readHistory: readHistory, writeHistory: writeHistory,
            stifle: symbol("stifle_history", as: IntFn.self), completionMatches: matches,
            attemptedCompletion: attempted.assumingMemoryBound(to: Attempted?.self),
            lineBuffer: lineBuffer.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self))
    }

    func setUpCompletion() {
        let matchesFn = completionMatches
        let lineBuffer = self.lineBuffer
        LibEdit.shared = (matchesFn, lineBuffer)
        attemptedCompletion.pointee = { text, _, _ in
            guard let (matches, lineBuffer) = LibEdit.shared else { return nil }
            let word = text.map { String(cString: $0) } ?? ""
            let line = lineBuffer.pointee.map { String(cString: $0) } ?? ""
            LineEditor.matches = LineEditor.completer?(line, word) ?? []
            guard !LineEditor.matches.isEmpty else { return nil }
            return matches(text) { _, state in
                let index = Int(state)
                guard index < LineEditor.matches.count else { return nil }
                return strdup(LineEditor.matches[index])
            }
        }
    }

    nonisolated(unsafe) static var shared: (MatchesFn, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)?
}
