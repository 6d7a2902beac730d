public import DaftarModel
public import Foundation

/// The compact body format (`application/vnd.daftar.batch`): the message's other parts as a JSON
/// header, then each change in its canonical binary form (the same bytes its hash covers).
///
/// Layout: `DFTB`, a format byte (2), the header's length (4 bytes, big-endian) and the header
/// (the message as JSON with `"changes": []`), the number of changes (4 bytes), then for each
/// change its length (4 bytes), its canonical bytes, and its signature: one byte 0 (none), or
/// 1 followed by the key's fingerprint (32 bytes) and the Ed25519 signature (64 bytes).
public enum CompactCodec {
    static let magic: [UInt8] = Array("DFTB".utf8)

    /// `signatures`: each change's signature, in the same order (empty: none has one).
    public static func encode<M: Encodable>(_ message: M, changes: [[UInt8]], signatures: [ChangeSignature?] = []) throws -> Data {
        let header = try JSONEncoder().encode(message)
        var out = Data()
        out.reserveCapacity(16 + header.count + changes.reduce(0) { $0 + $1.count + 4 })
        out.append(contentsOf: magic)
        out.append(2)
        append32(&out, header.count)
        out.append(header)
        append32(&out, changes.count)
        for (i, change) in changes.enumerated() {
            append32(&out, change.count)
            out.append(contentsOf: change)
            if i < signatures.count, let signature = signatures[i] {
                out.append(1)
                out.append(contentsOf: signature.stored)
            } else {
                out.append(0)
            }
        }
        return out
    }

    /// The header (decoded as `M`) and the changes; any malformation is a ValidationError
    /// saying what is wrong.
    public static func decode<M: Decodable>(_ type: M.Type, from data: Data) throws -> (M, [Change]) {
        try decode(type, from: [UInt8](data))
    }

    /// A body that holds more changes than the reader takes.
    public struct TooManyChanges: Error, Sendable {
        public let count: Int
    }

    /// The header (decoded as `M`, held to ``StrictJSON``) and the changes; more than
    /// `maxChanges` throws ``TooManyChanges`` before any is read.
    public static func decode<M: Decodable>(_ type: M.Type, from bytes: [UInt8], maxChanges: Int = .max) throws -> (M, [Change]) {
        var at = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, bytes.count - at >= n else { throw ValidationError(.malformedEncoding, "the compact body ends too early: it was cut off") }
            defer { at += n }
            return bytes[at..<at + n]
        }
        func read32() throws -> Int { try take(4).reduce(0) { $0 << 8 | Int($1) } }
        guard Array(try take(4)) == magic else { throw ValidationError(.malformedEncoding, "the body is not in the compact format (it must start with DFTB)") }
        let format = try take(1).first!
        guard format == 2 else {
            throw ValidationError(.unsupportedFormat, "compact body format \(format) is not the one this Daftar reads (2): run the same release on both sides, or send JSON")
        }
        let headerBytes = Array(try take(try read32()))
        try StrictJSON.check(headerBytes)
        let header = try JSONDecoder().decode(M.self, from: Data(headerBytes))
        let count = try read32()
        guard count <= maxChanges else { throw TooManyChanges(count: count) }
        guard count <= bytes.count / 8 else { throw ValidationError(.malformedEncoding, "the compact body claims \(count) changes, more than it can hold") }
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            let length = try read32()
            guard length <= Limits.changeBytes + 32 else { throw ValidationError(.changeTooLarge, "a change in the body is \(length) bytes, over the limit of \(Limits.changeBytes)") }
            var change = try Change(canonical: try take(length))
            switch try take(1).first! {
            case 0: break
            case 1: change.signature = try ChangeSignature(stored: Array(try take(96)))
            default: throw ValidationError(.malformedEncoding, "a change's signature mark in the compact body is neither 0 nor 1")
            }
            changes.append(change)
        }
        guard at == bytes.count else { throw ValidationError(.malformedEncoding, "the compact body has bytes after its last change") }
        return (header, changes)
    }

    private static func append32(_ out: inout Data, _ value: Int) {
        let v = UInt32(clamping: value)
        out.append(contentsOf: [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)])
    }
}
