import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check every hash, chain link, knowledge entry and registry statement of the store again, and print a report.",
        discussion:
            "The report is fit to attach to a case file: per chain its first and last change, its head hash, the key that signed it and how many changes follow its last signature; the node's key and the root; void changes and why; and anything that does not verify, named. It reads one consistent snapshot, so it can run while the node serves. Exits 1 when anything does not verify."
    )
    @OptionGroup var location: StorePath
    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

    func run() throws {
        let report: AuditReport
        do {
            // Read-only: an audit changes nothing, and runs beside a serving node.
            let store = try Store.open(at: location.path, options: Store.Options(readOnly: true))
            report = try store.audit()
        } catch { throw fail(error, json: json) }
        if json {
            print(encodeJSON(report))
        } else {
            print(Self.text(report))
        }
        if !report.verified { throw ExitCode(1) }
    }

    static func text(_ r: AuditReport) -> String {
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines: [String] = []
        lines.append("Daftar audit of \(r.store)")
        lines.append("node         \(r.node)")
        lines.append("audited      \(time.string(from: Date(timeIntervalSince1970: Double(r.auditedAt) / 1000)))")
        lines.append("schema       \(r.schema)")
        lines.append("node's key   \(r.keyFingerprint.map { PublicKey.groupedFingerprintText($0) } ?? "none made yet")")
        lines.append("root         \(r.root ?? "none known (no grant has reached this store)")")
        if let root = r.rootFingerprint { lines.append("root's key   \(PublicKey.groupedFingerprintText(root))") }
        lines.append("changes      \(r.changes) in \(r.chains.count) chain(s); \(r.grants) grant(s) and \(r.keys.values.reduce(0) { $0 + $1.count }) key statement(s) in the registry")
        lines.append("signatures   \(r.signatures), each verified with the key the registry binds to its origin")
        lines.append("")
        let header = ["chain", "first", "last", "changes", "void", "head hash", "signed by", "after last signature"]
        var rows = [header]
        for c in r.chains {
            rows.append([
                "\(c.origin) in \(c.scope)", "\(c.first)", "\(c.last)", "\(c.changes)", "\(c.void)", c.headHash,
                c.signedBy.map { String($0.prefix(16)) + "…" } ?? "unsigned", "\(c.unsignedTail)",
            ])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        for (n, row) in rows.enumerated() {
            lines.append(row.indices.map { pad(row[$0], widths[$0]) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if n == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        if !r.voidChanges.isEmpty {
            lines.append("")
            lines.append("void changes (held and passed on, computed as if absent)")
            for v in r.voidChanges {
                lines.append("  \(v.origin) in \(v.scope): \(v.changes) (seq \(v.first) to \(v.last)): \(v.reason)")
            }
        }
        if !r.forks.isEmpty {
            lines.append("")
            lines.append("forks (their chains refused until recovered)")
            for f in r.forks {
                let proof = f.proven ? "proof verified: two runs signed by \(f.origin)" : "no proof (kept before fork proofs, or by a store that knew no root)"
                lines.append("  \(f.origin) \(f.scope.map { "in \($0)" } ?? "(the whole office)") at seq \(f.seq): \(proof)")
            }
        }
        lines.append("")
        if r.verified {
            lines.append("VERIFIED: every change's hash, every chain link, every signature, every knowledge entry and every registry statement checks.")
        } else {
            lines.append("NOT VERIFIED: \(r.problems.count) problem(s):")
            for p in r.problems { lines.append("  - \(p)") }
        }
        return lines.joined(separator: "\n")
    }
}
