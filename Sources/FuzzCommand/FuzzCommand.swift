// libFuzzer target for the console's command parser: the input, read as UTF-8 (invalid bytes
// replaced), is parsed whole and then line by line, as the console reads lines. Parse errors are
// expected and ignored; only a broken invariant crashes, with a message saying which.
//
// Built with `-sanitize=fuzzer,address -DFUZZING` by scripts/fuzz.sh, it is a libFuzzer binary.
// In a normal build it is a replayer: `FuzzCommand FILE|DIR ...` runs each file through the same
// function (a crash reproduces; no crash prints how many inputs ran).

import DaftarModel
import DaftarREPL
import Foundation

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

#if FUZZING
    // SwiftPM links an executable with its entry point renamed to FuzzCommand_main and aliased to `main`,
    // which displaces libFuzzer's own `main`; this one hands over to libFuzzer's driver instead.
    @_extern(c, "LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @main
    enum Fuzz {
        static func main() {
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(llvmFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) })
        }
    }
#else
    @main
    enum Replay {
        static func main() {
            let files = inputs(Array(CommandLine.arguments.dropFirst()))
            guard !files.isEmpty else {
                FileHandle.standardError.write(Data("usage: FuzzCommand FILE|DIR ...  (runs each input through the fuzz target)\n".utf8))
                exit(2)
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                    exit(1)
                }
                let bytes = [UInt8](data)
                _ = bytes.withUnsafeBufferPointer { p in
                    // A valid pointer even for an empty input, as libFuzzer gives.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, p.count)) { buffer in
                        _ = buffer.initialize(fromContentsOf: p)
                        return fuzz(UnsafePointer(buffer.baseAddress!), p.count)
                    }
                }
            }
            print("ran \(files.count) input(s), no crash")
        }

        static func inputs(_ paths: [String]) -> [String] {
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    files.append(path)
                    continue
                }
                if isDirectory.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                    files += names.sorted().map { path + "/" + $0 }
                } else {
                    files.append(path)
                }
            }
            return files
        }
    }
#endif
