// libFuzzer target for the console's command parser: the input, read as UTF-8 (invalid bytes
// replaced), is parsed whole and then line by line, as the console reads lines. Parse errors are
// expected and ignored; only a broken invariant crashes, with a message saying which.
//
// Built with `-sanitize=fuzzer,address -DFUZZING` by scripts/fuzz.sh, it is a libFuzzer binary.
// In a normal build it is a replayer: `FuzzCommand FILE|DIR ...` runs each file through the same
// function (a crash reproduces; no crash prints how many inputs ran).

import DaftarModel
import DaftarCommand
import Foundation
import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    check(String(decoding: bytes, as: UTF8.self))
    // Lines as readLine(strippingNewline:) gives them: split at \n, a \r before it dropped.
    for var line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if line.last == 0x0D { line = line.dropLast() }
        check(String(decoding: line, as: UTF8.self))
    }
    return 0
}

func check(_ line: String) {
    guard let command = try? CommandParser.parse(line) else { return }
    // A value as the console shows it (ValueSyntax.literal) must read back as the same value.
    let fields: [FieldName: FieldValue]
    switch command {
    case .add(_, let f), .set(_, let f), .resolve(_, let f): fields = f
    default: return
    }
    for (name, value) in fields {
        let literal = ValueSyntax.literal(value)
        let again = try? CommandParser.parse("set x \(name)=\(literal)")
        guard again == .set("x", [name: value]) else {
            fatalError("the value \(String(reflecting: value)) shows as «\(literal)», which reads back as \(String(describing: again))")
        }
    }
}

@main
enum Main {
    static func main() { FuzzHarness.main("FuzzCommand") { data, size in fuzz(data!, size) } }
}
