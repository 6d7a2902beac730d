public import Foundation

/// How the executable is signed in to when it is driven from outside (DESIGN promise 18): a
/// passphrase file, as a script gives it, and scrypt at its lowest cost (N = 1,024), so that the
/// hundreds of sign-ins of a debug build's runs take seconds rather than minutes. The cost is
/// recorded with each passphrase hash; a store made this way keeps it.
public enum SignInFile {
    public static let passphrase = "lahore register 2026"

    /// A file holding ``passphrase``, readable by its owner alone, made once per process.
    public static let path: String = {
        let path = NSTemporaryDirectory() + "daftar-passphrase-\(getpid())-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: path, contents: Data((passphrase + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return path
    }()

    /// `environment` with the passphrase file and the low cost added, unless it names its own.
    public static func environment(_ environment: [String: String]) -> [String: String] {
        var env = environment
        if env["DAFTAR_PASSPHRASE_FILE"] == nil { env["DAFTAR_PASSPHRASE_FILE"] = path }
        if env["DAFTAR_SCRYPT_N"] == nil { env["DAFTAR_SCRYPT_N"] = "1024" }
        return env
    }
}
