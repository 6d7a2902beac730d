// The entry point the fuzz targets share. Built with `-DFUZZING` (scripts/fuzz.sh), it hands over
// to libFuzzer's driver; in a normal build it replays saved inputs: `TARGET FILE|DIR ...` runs
// each file through the target's function (a crash reproduces; no crash prints how many ran).
public import Foundation

/// A fuzz target's function: libFuzzer's `LLVMFuzzerTestOneInput`.
public typealias FuzzFunction = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
    // SwiftPM links an executable with its entry point renamed to <Target>_main and aliased to
    // `main`, which displaces libFuzzer's own `main`; the targets' `main` calls this instead.
    @_extern(c, "LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: FuzzFunction
    ) -> CInt
#endif

public enum FuzzHarness {
    /// Runs `fuzz` under libFuzzer (a fuzzing build) or over the files named on the command line.
    public static func main(_ name: String, _ fuzz: FuzzFunction) -> Never {
        #if FUZZING
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(llvmFuzzerRunDriver(&argc, &argv, fuzz))
        #else
            let files = inputs(Array(CommandLine.arguments.dropFirst()))
            guard !files.isEmpty else {
                FileHandle.standardError.write(Data("usage: \(name) FILE|DIR ...  (runs each input through the fuzz target)\n".utf8))
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
            exit(0)
        #endif
    }

    /// The files named, and the files in the folders named, sorted.
    static func inputs(_ paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.sorted().map { path + "/" + $0 }
        }
        return files
    }
}
