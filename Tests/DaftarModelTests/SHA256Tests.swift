import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
private func sha(_ s: String) -> String { hex(SHA256.hash(Array(s.utf8))) }

@Suite struct SHA256Tests {
    // FIPS 180-4 / NIST example vectors.

    @Test func emptyString() {
        #expect(sha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(sha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage448Bits() {
        #expect(
            sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func message896Bits() {
        #expect(
            sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (55/56 bytes fit or spill the length, 64 is a block).
    @Test(arguments: [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        (128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"),
    ])
    func paddingBoundaries(length: Int, expected: String) {
        #expect(sha(String(repeating: "a", count: length)) == expected)
    }

    @Test func digestIs32Bytes() {
        #expect(SHA256.hash([]).count == 32)
        #expect(SHA256.hash([UInt8](repeating: 1, count: 200)).count == 32)
    }

    @Test func incrementalUpdatesEqualOneShot() async {
        await propertyCheck(count: 150, input: Gen.uint8().array(of: 0...300), Gen.int(in: 0...300), Gen.int(in: 0...300)) { bytes, i, j in
            let cut1 = min(i, j, bytes.count)
            let cut2 = min(max(i, j), bytes.count)
            var hasher = SHA256()
            hasher.update(bytes[..<cut1])
            hasher.update(bytes[cut1..<cut2])
            hasher.update(bytes[cut2...])
            #expect(hasher.finalize() == SHA256.hash(bytes))
        }
    }

    @Test func differentInputsGiveDifferentDigests() async {
        await propertyCheck(count: 150, input: Gen.uint8().array(of: 1...100), Gen.int(in: 0...99), Gen.uint8(in: 1...255)) { bytes, at, flip in
            var other = bytes
            other[at % bytes.count] ^= flip
            #expect(SHA256.hash(bytes) != SHA256.hash(other))
        }
    }

    // MARK: ContentHash

    @Test func contentHashHexRoundTrip() throws {
        let digest = SHA256.hash(Array("abc".utf8))
        let h = try ContentHash(bytes: digest)
        #expect(h.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try ContentHash(hex: h.hex) == h)
        #expect(h.description == "ba7816bf8f01")
        #expect(ContentHash.zero.hex == String(repeating: "0", count: 64))
    }

    @Test func contentHashRefusesWrongLengthAndBadHex() {
        expectValidationError(.malformedEncoding) { _ = try ContentHash(bytes: [1, 2, 3]) }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(bytes: [UInt8](repeating: 0, count: 33)) }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(hex: "abc") }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(hex: String(repeating: "0", count: 62)) }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(hex: String(repeating: "A", count: 64)) }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(hex: String(repeating: "g", count: 64)) }
        expectValidationError(.malformedEncoding) { _ = try ContentHash(hex: "") }
    }

    @Test func contentHashJSONIsHex() throws {
        let h = try ContentHash(bytes: SHA256.hash([]))
        let data = try JSONEncoder().encode([h])
        #expect(String(decoding: data, as: UTF8.self) == #"["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]"#)
        #expect(try JSONDecoder().decode([ContentHash].self, from: data) == [h])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ContentHash].self, from: Data(#"["00"]"#.utf8)) }
    }
}
