import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads lines from an officer at a terminal: with libedit (loaded at run time, so building
/// needs no system package beyond libsqlite3-dev) there are arrow keys, history kept across
/// sessions, and tab completion; without it, plain lines.
public final class LineEditor {
    /// Offers completions for the word being typed, given the line up to the cursor.
    public typealias Completer = (_ line: String, _ word: String) -> Completion.Result

    private let edit: LibEdit?
    private let historyPath: String?

    /// Whether line editing (libedit) is available.
    public var isEditing: Bool { edit != nil }

    public init(historyPath: String?, completer: @escaping Completer) {
        Self.useUTF8()
        edit = LibEdit.load()
        self.historyPath = historyPath
        if let edit {
            // Signals are Daftar's to handle (see readLine): libedit's own handler would switch the
            // terminal out of editing mode from whichever thread the signal lands on.
            edit.catchSignals?.pointee = 0
            LineEditor.completer = completer
            edit.setUpCompletion()
            edit.stifle?(1000)
            if let historyPath { _ = historyPath.withCString { edit.readHistory($0) } }
        }
    }

    /// Lets libedit read and show text beyond ASCII: it decodes keystrokes by the C library's
    /// character type, which is plain ASCII until a program sets it. The officer's locale is
    /// used when it is UTF-8; otherwise UTF-8 all the same (Daftar's text always is).
    static func useUTF8() {
        _ = setlocale(LC_CTYPE, "")
        let codeset = nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? ""
        if codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8" {
            if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
        }
    }

    /// One line, without its line break; nil at end of input (Ctrl-D on an empty line). Ctrl-C
    /// abandons the line being typed and prompts again, as in a shell.
    public func readLine(prompt: String) -> String? {
        guard let edit else {
            FileHandle.standardOutput.write(Data(prompt.utf8))
            return Swift.readLine(strippingNewline: true)
        }
        Interrupt.install()
        var raw: UnsafeMutablePointer<CChar>?
        while true {
            Interrupt.caught = 0
            Interrupt.duringCommand = 0
            Interrupt.reader = pthread_self()
            // This thread may be one that blocks signals (a thread of Swift's shared pool does):
            // Ctrl-C must interrupt its read.
            var interrupt = sigset_t()
            var blocked = sigset_t()
            sigemptyset(&interrupt)
            sigaddset(&interrupt, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &interrupt, &blocked)
            Interrupt.reading = 1
            raw = prompt.withCString { edit.readline($0) }
            Interrupt.reading = 0
            pthread_sigmask(SIG_SETMASK, &blocked, nil)
            if raw == nil, Interrupt.caught == 1 {
                FileHandle.standardOutput.write(Data("^C\n".utf8))
                continue
            }
            break
        }
        guard let raw else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            return nil
        }
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

/// Ctrl-C in the console. Once the first line is read, SIGINT stays Daftar's for the rest of the
/// session, never back to the default (which ends the process): a Ctrl-C pressed while a line
/// is read may be handled a moment later, on another thread, after the line is already taken.
///
/// - While a line is read, Ctrl-C abandons it: the read is interrupted and the prompt comes back.
/// - While a command runs, the first Ctrl-C says that a second one leaves Daftar; the second
///   leaves with status 130 (the store's transactions are whole or absent either way).
public enum Interrupt {
    nonisolated(unsafe) static var reading: sig_atomic_t = 0
    nonisolated(unsafe) static var caught: sig_atomic_t = 0
    nonisolated(unsafe) static var duringCommand: sig_atomic_t = 0
    nonisolated(unsafe) static var reader = pthread_self()
    nonisolated(unsafe) static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { signal, info, _ in
            // Passed on below from another thread: the officer pressed it while a line was read.
            let passedOn = info?.pointee.si_code == Interrupt.passedOnCode
            if Interrupt.reading == 1 {
                // The signal may land on any thread of the process: it must interrupt the read
                // on the thread reading the line, so it is passed on to that one.
                if pthread_equal(pthread_self(), Interrupt.reader) == 0 {
                    pthread_kill(Interrupt.reader, signal)
                } else {
                    Interrupt.caught = 1
                }
                return
            }
            // Passed on after the line was already read: that Ctrl-C was for the line, not for
            // the command now running.
            if passedOn { return }
            if Interrupt.duringCommand == 1 { _exit(130) }
            Interrupt.duringCommand = 1
            let hint = "\n(a command is running: Ctrl-C again leaves Daftar)\n"
            _ = hint.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_SIGINFO  // no SA_RESTART: the read is interrupted, and readline returns
        sigaction(SIGINT, &action, nil)
    }

    /// `si_code` of a signal sent to one thread with `pthread_kill` (SI_TKILL).
    static let passedOnCode: Int32 = -6

    /// Runs `body` with Ctrl-C ignored (a pager in front: the keys are the pager's), then gives
    /// SIGINT back to whoever had it.
    public static func ignored<T>(_ body: () throws -> T) rethrows -> T {
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigemptyset(&ignore.sa_mask)
        var previous = sigaction()
        sigaction(SIGINT, &ignore, &previous)
        defer { sigaction(SIGINT, &previous, nil) }
        return try body()
    }
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
    let catchSignals: UnsafeMutablePointer<Int32>?
    /// Set to 1 by a completion that must not fall back to file names.
    let completionOver: UnsafeMutablePointer<Int32>

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
            let lineBuffer = dlsym(handle, "rl_line_buffer"),
            let over = dlsym(handle, "rl_attempted_completion_over")
        else { return nil }
        return LibEdit(
            readline: readline, addHistory: addHistory, readHistory: readHistory, writeHistory: writeHistory,
            stifle: symbol("stifle_history", as: IntFn.self), completionMatches: matches,
            attemptedCompletion: attempted.assumingMemoryBound(to: Attempted?.self),
            lineBuffer: lineBuffer.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self),
            catchSignals: dlsym(handle, "rl_catch_signals")?.assumingMemoryBound(to: Int32.self),
            completionOver: over.assumingMemoryBound(to: Int32.self))
    }

    func setUpCompletion() {
        let matchesFn = completionMatches
        LibEdit.shared = (matchesFn, lineBuffer, completionOver)
        attemptedCompletion.pointee = { text, _, end in
            guard let (matches, lineBuffer, over) = LibEdit.shared else { return nil }
            let word = text.map { String(cString: $0) } ?? ""
            // The line up to the cursor (`end` counts characters of libedit's wide line: scalars).
            let whole = lineBuffer.pointee.map { String(cString: $0) } ?? ""
            var line = String.UnicodeScalarView()
            line.append(contentsOf: whole.unicodeScalars.prefix(max(0, Int(end))))
            switch LineEditor.completer?(String(line), word) ?? .words([]) {
            case .files:
                return nil  // libedit completes file names
            case .words(let words):
                over.pointee = 1
                LineEditor.matches = words
            }
            guard !LineEditor.matches.isEmpty else { return nil }
            return matches(text) { _, state in
                let index = Int(state)
                guard index < LineEditor.matches.count else { return nil }
                return strdup(LineEditor.matches[index])
            }
        }
    }

    nonisolated(unsafe) static var shared: (MatchesFn, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, UnsafeMutablePointer<Int32>)?
}
