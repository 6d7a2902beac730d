/// An origin's Ed25519 signature on one of its changes (DESIGN promise 16). It signs the
/// change's hash, which covers the header (dot, scope, kind, `prev`, format, stamp, officer, wall
/// time) and a digest of the content; since each header names the hash of the chain's previous
/// change, a signature vouches for its chain back to the previous signature. It is not part of
/// the change's hash: a change is the same change whether or not it carries one.
public struct ChangeSignature: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The fingerprint of the key that signed (SHA-256 of its 32 raw bytes).
    public var key: ContentHash
    /// The 64-byte Ed25519 signature of ``message(for:)``.
    public var value: [UInt8]

    public init(key: ContentHash, value: [UInt8]) throws(ValidationError) {
        guard value.count == 64 else {
            throw ValidationError(.malformedEncoding, "an Ed25519 signature is 64 bytes, not \(value.count)")
        }
        self.key = key
        self.value = value
    }

    /// What is signed for a change of hash `hash`: the ASCII text `daftar signature 2`, a line
    /// feed, and the hash's 32 bytes.
    public static func message(for hash: ContentHash) -> [UInt8] {
        Array("daftar signature 2\n".utf8) + hash.bytes
    }

    /// The signature of `hash` by `key`.
    public static func sign(_ hash: ContentHash, with key: SigningKey) throws -> ChangeSignature {
        try ChangeSignature(key: key.publicKey.fingerprintHash, value: try key.sign(message(for: hash)))
    }

    /// Whether this is `key`'s signature of `hash`.
    public func verifies(_ hash: ContentHash, with key: PublicKey) -> Bool {
        key.fingerprintHash == self.key && key.verifies(value, of: Self.message(for: hash))
    }

    /// The 96 bytes a store keeps: the key's fingerprint, then the signature.
    public var stored: [UInt8] { key.bytes + value }

    public init(stored bytes: [UInt8]) throws(ValidationError) {
        guard bytes.count == 96 else { throw ValidationError(.malformedEncoding, "a stored signature is 96 bytes, not \(bytes.count)") }
        try self.init(key: try ContentHash(bytes: Array(bytes[0..<32])), value: Array(bytes[32...]))
    }

    public var description: String { "signature by key \(key.hex.prefix(16))…" }

    enum CodingKeys: String, CodingKey, CaseIterable { case key, value }

    /// JSON: `{"key": "<64 hex digits>", "value": "<128 hex digits>"}`.
    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a signature")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let key = try c.decode(ContentHash.self, forKey: .key)
        let text = try c.decode(String.self, forKey: .value)
        guard let value = Self.bytes(hex: text), value.count == 64 else {
            throw DecodingError.dataCorruptedError(forKey: .value, in: c, debugDescription: "a signature's value is 128 lower-case hex digits (64 bytes)")
        }
        try self.init(key: key, value: value)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(Self.hex(value), forKey: .value)
    }

    static let digits = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex digits to bytes; nil for anything else.
    public static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

extension PublicKey {
    /// The fingerprint as 32 bytes.
    public var fingerprintHash: ContentHash { ContentHash(unchecked: SHA256.hash(raw)) }

    /// The key from 64 lower-case hex digits.
    public init(hex: String) throws(ValidationError) {
        guard let raw = ChangeSignature.bytes(hex: hex), raw.count == 32 else {
            throw ValidationError(.malformedEncoding, "a public key is 64 lower-case hex digits (32 bytes)")
        }
        try self.init(raw: raw)
    }

    /// The key's 32 bytes in lower-case hex.
    public var hex: String { ChangeSignature.hex(raw) }
}
