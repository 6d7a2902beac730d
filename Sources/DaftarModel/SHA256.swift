import Crypto

/// SHA-256 (FIPS 180-4), from swift-crypto: the model's one third-party dependency. It hashes
/// change headers and contents, and their digests on the wire.
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    public func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}

/// A SHA-256 digest of a change's canonical form.
public struct ContentHash: Sendable, Hashable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The hash before an origin's first change.
    public static let zero = ContentHash(unchecked: [UInt8](repeating: 0, count: 32))

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public init(bytes: [UInt8]) throws(ValidationError) {
        guard bytes.count == 32 else {
            throw ValidationError(.malformedEncoding, "a content hash must be 32 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    public init(hex: String) throws(ValidationError) {
        var out: [UInt8] = []
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            default: throw ValidationError(.malformedEncoding, "a content hash is 64 lower-case hex digits")
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        guard high == nil else { throw ValidationError(.malformedEncoding, "a content hash is 64 lower-case hex digits") }
        try self.init(bytes: out)
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { String(hex.prefix(12)) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(hex)
    }
}
