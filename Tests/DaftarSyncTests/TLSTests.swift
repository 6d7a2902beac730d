import DaftarClient
import DaftarModel
import DaftarTesting
import Foundation
import Testing

@testable import DaftarServer
@testable import DaftarStore

/// A server serving TLS with a certificate made during the test, and clients that trust its CA
/// or do not.
@Suite(.timeLimit(.minutes(5))) struct TLSTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// Runs openssl; the test needs it to make its certificates.
    func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try spawn(process)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed") }
    }

    /// A CA, and a certificate for 127.0.0.1 signed by it.
    func makeCertificates(prefix: String) throws -> (ca: String, cert: String, key: String) {
        let ca = folder.file("\(prefix)-ca.pem")
        let caKey = folder.file("\(prefix)-ca.key")
        let key = folder.file("\(prefix)-server.key")
        let csr = folder.file("\(prefix)-server.csr")
        let cert = folder.file("\(prefix)-server.pem")
        let ext = folder.file("\(prefix)-ext.cnf")
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=Daftar test CA \(prefix)"])
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
        try openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext])
        return (ca, cert, key)
    }

    /// Whether `openssl s_client` completes a handshake with `127.0.0.1:port` at one TLS version
    /// (the lowest security level, so that the client itself does not refuse the old ones).
    func handshakes(port: Int, version flag: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", flag, "-cipher", "DEFAULT:@SECLEVEL=0"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try spawn(process)
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // A completed handshake names its protocol and a cipher other than "(NONE)".
        return process.terminationStatus == 0 && text.contains(", Cipher is ") && !text.contains("Cipher is (NONE)")
    }

    /// TLS 1.0 and 1.1 are deprecated (RFC 8996): the server refuses them; 1.2 and 1.3 work.
    @Test func tls10And11AreRefused() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            Issue.record("openssl is needed to make the test certificates")
            return
        }
        let good = try makeCertificates(prefix: "versions")
        let central = try makeStore("central", in: folder)
        try await withServer(central, tls: .init(certificate: good.cert, key: good.key)) { url in
            let port = try #require(Int(url.split(separator: ":").last!))
            #expect(try handshakes(port: port, version: "-tls1_2"))
            #expect(try handshakes(port: port, version: "-tls1_3"))
            #expect(try !handshakes(port: port, version: "-tls1"))
            #expect(try !handshakes(port: port, version: "-tls1_1"))
        }
    }

    @Test func clientThatTrustsTheCA_syncs_othersAreRefused() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            Issue.record("openssl is needed to make the test certificates")
            return
        }
        let good = try makeCertificates(prefix: "good")
        let other = try makeCertificates(prefix: "other")
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        let entry = try office.add(kind: kind("incident"), fields: [name("title"): .text("over TLS")], as: "Rashid")
        try await withServer(central, tls: .init(certificate: good.cert, key: good.key)) { url in
            #expect(url.hasPrefix("https://"))
            let token = try central.registerPeer(office.node, role: .office)
            // Trusting the right CA: it syncs.
            try office.saveRemote(Remote(name: "central", url: url, token: token, caFile: good.ca))
            try await sync(office, "central")
            #expect(try central.record(entry) != nil)
            // Trusting another CA, or only the system's: refused, with a TLS error.
            for ca in [other.ca, nil] {
                try office.saveRemote(Remote(name: "central", url: url, token: token, caFile: ca))
                do {
                    try await sync(office, "central")
                    Issue.record("a server with an untrusted certificate was accepted")
                } catch let error as SyncError {
                    #expect(error.code == .tls, "\(error)")
                }
            }
        }
    }
}
