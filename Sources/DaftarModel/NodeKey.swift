import Crypto

/// A node's Ed25519 public key (DESIGN promise 16): 32 bytes, named by its fingerprint.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let raw: [UInt8]

    public init(raw: [UInt8]) throws(ValidationError) {
        guard raw.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw ValidationError(.malformedEncoding, "an Ed25519 public key is 32 bytes, not \(raw.count)")
        }
        self.raw = raw
    }

    /// The key's fingerprint: SHA-256 of its 32 bytes, in 64 lower-case hex digits. Operators
    /// compare it (and pin it) rather than the key.
    public var fingerprint: String { (try! ContentHash(bytes: SHA256.hash(raw))).hex }

    /// The fingerprint in groups of four digits, for reading aloud or over a telephone.
    public var groupedFingerprint: String { Self.group(fingerprint) }

    public var description: String { fingerprint }

    /// A fingerprint in groups of four digits.
    public static func groupedFingerprintText(_ hex: String) -> String { group(hex) }

    static func group(_ hex: String) -> String {
        var out = ""
        for (i, c) in hex.enumerated() {
            if i > 0, i % 4 == 0 { out.append(" ") }
            out.append(c)
        }
        return out
    }

    /// Whether `signature` is this key's signature of `message`.
    public func verifies(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// A fingerprint as an operator may type it: 64 hex digits, in any case, with spaces or
    /// colons between groups. Nil when it is not one.
    public static func normalizedFingerprint(_ text: String) -> String? {
        let digits = text.lowercased().filter { $0 != " " && $0 != ":" }
        guard digits.count == 64, digits.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        return digits
    }
}

/// A node's Ed25519 private key. It never leaves its file beside the store (mode 0600) and is
/// never in a backup.
public struct SigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new key from the system's cryptographic random source.
    public init() { key = Curve25519.Signing.PrivateKey() }

    public init(raw: [UInt8]) throws(ValidationError) {
        guard raw.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ValidationError(.malformedEncoding, "an Ed25519 private key is 32 bytes, not \(raw.count)")
        }
        self.key = key
    }

    public var raw: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: PublicKey { try! PublicKey(raw: Array(key.publicKey.rawRepresentation)) }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}
