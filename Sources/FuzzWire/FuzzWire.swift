// libFuzzer target for the sync wire decoder: one input is a sync request body as the server
// reads it (SyncServer.readRequest), tried both as a compact body and as JSON. Decode errors are
// expected and ignored; only a broken invariant crashes, with a message saying which.
//
// Built with `-sanitize=fuzzer,address -DFUZZING` by scripts/fuzz.sh, it is a libFuzzer binary.
// In a normal build it is a replayer: `FuzzWire FILE|DIR ...` runs each file through the same
// function (a crash reproduces; no crash prints how many inputs ran).

import DaftarModel
import DaftarSync
import Foundation
import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    if let (header, changes) = try? CompactCodec.decode(SyncRequest.self, from: body) {
        var request = header
        request.changes = changes
        check(request, compact: true)
    }
    if let request = try? JSONDecoder().decode(SyncRequest.self, from: body) {
        check(request, compact: false)
    }
    return 0
}

/// The invariants of one decoded request.
func check(_ request: SyncRequest, compact: Bool) {
    let how = compact ? "compact" : "JSON"
    // Every change the receiver accepts (validate() passes) must read back from its canonical
    // bytes, and from its JSON form, as the same change with the same canonical bytes.
    var canonical: [[UInt8]] = []
    for change in request.changes {
        guard let encoded = try? change.validate() else { continue }
        canonical.append(encoded)
        let again: Change
        do { again = try Change(canonical: encoded) } catch {
            fatalError("\(how): change \(change.dot) validated but its canonical bytes do not read back: \(error)")
        }
        guard again == change else { fatalError("\(how): change \(change.dot) reads back from its canonical bytes as a different change") }
        guard (try? again.validate()) == encoded else {
            fatalError("\(how): change \(change.dot) read back from its canonical bytes does not validate to the same bytes")
        }
        let json: Data
        do { json = try JSONEncoder().encode(change) } catch { fatalError("\(how): validated change \(change.dot) does not encode as JSON: \(error)") }
        let fromJSON: Change
        do { fromJSON = try JSONDecoder().decode(Change.self, from: json) } catch {
            fatalError("\(how): validated change \(change.dot) does not decode from its own JSON: \(error)")
        }
        guard fromJSON == change, (try? fromJSON.validate()) == encoded else {
            fatalError("\(how): validated change \(change.dot) reads back from its JSON as a different change")
        }
    }

    // The whole request through JSON and back: defined for any decoded request (JSON carries
    // every value a decoded change can hold, valid or not).
    let json: Data
    do { json = try JSONEncoder().encode(request) } catch { fatalError("\(how): a decoded request does not encode as JSON: \(error)") }
    let fromJSON: SyncRequest
    do { fromJSON = try JSONDecoder().decode(SyncRequest.self, from: json) } catch {
        fatalError("\(how): a decoded request does not decode from its own JSON: \(error)\n\(String(decoding: json, as: UTF8.self))")
    }
    guard fromJSON == request else { fatalError("\(how): a decoded request reads back from its own JSON as a different request") }

    // Through the compact form and back: defined when every change is valid (the compact form
    // carries only canonical, in-limit changes).
    guard canonical.count == request.changes.count else { return }
    var header = request
    header.changes = []
    let body: Data
    do { body = try CompactCodec.encode(header, changes: canonical, signatures: request.changes.map(\.signature)) } catch { fatalError("\(how): a valid request does not encode compact: \(error)") }
    let decoded: (SyncRequest, [Change])
    do { decoded = try CompactCodec.decode(SyncRequest.self, from: body) } catch {
        fatalError("\(how): a valid request does not decode from its own compact body: \(error)")
    }
    guard decoded.0 == header, decoded.1 == request.changes else {
        fatalError("\(how): a valid request reads back from its own compact body as a different request")
    }
}

@main
enum Main {
    static func main() { FuzzHarness.main("FuzzWire") { data, size in fuzz(data!, size) } }
}
