import DaftarModel
import DaftarStore
import Foundation

/// One entry in a JSON-lines file: `{"id": "...", "kind": "person", "fields": {...}}`; the id is
/// ignored on import (the importing office gives new ids).
struct ImportedEntry: Decodable {
    var id: String?
    var kind: Kind?
    var fields: [FieldName: FieldValue]
}

extension Session {
    /// Writes entries to a file: CSV (a header `id,kind,` and the field names; each cell a value
    /// as typed at the prompt, so text that would read as a number is written in quotes), or JSON
    /// lines (one entry per line, typed values).
    func export(_ format: Command.Format, path: String, kind: Kind?, excel: Bool = false) throws -> Output {
        if excel, format != .csv { throw CommandError("--excel is for CSV files: export csv \(path) --excel") }
        try refuseFolder(path)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandError("cannot write \(path): check that the folder exists and can be written")
        }
        defer { try? handle.close() }
        var count = 0
        var buffer = ""
        func flush(_ force: Bool = false) throws {
            if force || buffer.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(buffer.utf8))
                buffer = ""
            }
        }
        do {
            switch format {
            case .jsonl:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                try store.forEachRecord(kind: kind) { record in
                    var entry = EntryJSON(record)
                    entry.conflict = false
                    buffer += String(decoding: try encoder.encode(ExportedEntry(id: entry.id, kind: entry.kind, fields: entry.fields)), as: UTF8.self) + "\n"
                    count += 1
                    try flush()
                }
            case .csv:
                // Two passes: the columns are every field any exported entry has.
                var names = Set<FieldName>()
                try store.forEachRecord(kind: kind) { names.formUnion($0.values.keys) }
                let columns = names.sorted()
                // A byte-order mark tells Excel the file is UTF-8 (without it, Urdu shows garbled).
                buffer = (excel ? "\u{FEFF}" : "") + CSV.line(["id", "kind"] + columns.map(Self.csvColumn)) + "\n"
                try store.forEachRecord(kind: kind) { record in
                    let values = record.values
                    buffer += CSV.line([record.id.description, record.kind.rawValue] + columns.map { values[$0].map(ValueSyntax.csvCell) ?? "" }) + "\n"
                    count += 1
                    try flush()
                }
            }
            try flush(true)
        } catch let error as StoreError {
            throw error
        } catch {
            throw CommandError("writing \(path) failed: \(error.localizedDescription)")
        }
        let note = format == .csv && !excel ? " (to open it in Excel, export with --excel)" : ""
        return Output(text: json ? encode(["exported": count]) : "exported \(Self.plural(count, "entry", "entries")) to \(path)\(note)")
    }

    /// The CSV column of a field: its name, except that fields named `id` or `kind` are written
    /// `field:id` and `field:kind`, apart from the entry's own id and kind columns.
    static func csvColumn(_ name: FieldName) -> String {
        name.rawValue == "id" || name.rawValue == "kind" ? "field:" + name.rawValue : name.rawValue
    }

    public static func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

    func refuseFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw CommandError("\(path) is a folder: give a file name, for example \(path.hasSuffix("/") ? path : path + "/")entries.csv")
        }
    }

    /// Records entries from a file in one transaction: all of them, or, when one row is bad,
    /// none (the error names the line).
    func importFile(_ format: Command.Format, path: String, kind: Kind?, again: Bool = false) throws -> Output {
        try refuseFolder(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("cannot read \(path): check the path")
        }
        // A byte-order mark (Excel writes one) is not part of the first column's name.
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data
        guard let text = String(validating: body, as: UTF8.self) else {
            throw CommandError("\(path) is not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8) and import again")
        }
        let hash = SHA256.hash([UInt8](data))
        if !again, let before = try store.importedFile(hash: hash) {
            throw CommandError(
                "\(path) was imported here before (\(time(before.importedAt)), by \(before.officer), \(Self.plural(before.entries, "entry", "entries"))\(before.path == path ? "" : ", from \(before.path)")): importing it again records every entry a second time; if that is what you want, add --again"
            )
        }
        var entries: [(line: Int, kind: Kind, fields: [FieldName: FieldValue])] = []
        // The ids the exporting store gave its entries, to tell when imported values refer to them.
        var exportedIDs = Set<String>()
        switch format {
        case .jsonl:
            let decoder = JSONDecoder()
            for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { continue }
                let entry: ImportedEntry
                do { entry = try decoder.decode(ImportedEntry.self, from: Data(trimmed.utf8)) } catch {
                    throw CommandError("\(path) line \(i + 1) is not an entry: write {\"kind\": \"person\", \"fields\": {\"name\": \"Ali\"}} (\(Self.reason(error)))")
                }
                if let id = entry.id { exportedIDs.insert(id) }
                guard let k = entry.kind ?? kind else {
                    throw CommandError("\(path) line \(i + 1) has no kind: add \"kind\" to the line, or name one: import jsonl \(path) person")
                }
                entries.append((i + 1, k, entry.fields))
            }
        case .csv:
            let rows = try CSV.rows(text)
            guard let header = rows.first else { return Output(text: json ? encode(["imported": 0]) : "imported 0 entries: \(path) is empty") }
            let kindColumn = header.firstIndex(of: "kind")
            let idColumn = header.firstIndex(of: "id")
            var columns: [(Int, FieldName)] = []
            for (i, title) in header.enumerated() where title != "id" && title != "kind" {
                // `field:id` and `field:kind` are fields named id and kind (see export).
                let name = title.hasPrefix("field:") ? String(title.dropFirst(6)) : title
                do { columns.append((i, try FieldName(name))) } catch {
                    throw CommandError("\(path): column '\(title)' is not a field name: \(error.message)")
                }
            }
            for (r, row) in rows.dropFirst().enumerated() {
                let line = r + 2
                guard row.count == header.count else {
                    throw CommandError("\(path) line \(line) has \(row.count) cells where the header has \(header.count): fix the row")
                }
                if let idColumn, !row[idColumn].isEmpty { exportedIDs.insert(row[idColumn]) }
                let k: Kind
                if let kindColumn, !row[kindColumn].isEmpty {
                    do { k = try Kind(row[kindColumn]) } catch { throw CommandError("\(path) line \(line): \(error.message)") }
                } else if let kind {
                    k = kind
                } else {
                    throw CommandError("\(path) line \(line) has no kind: add a kind column, or name one: import csv \(path) person")
                }
                var fields: [FieldName: FieldValue] = [:]
                for (i, name) in columns where !row[i].isEmpty {
                    let cell = row[i]
                    do {
                        if cell.count >= 2, (cell.hasPrefix("\"") && cell.hasSuffix("\"")) || (cell.hasPrefix("'") && cell.hasSuffix("'")) {
                            guard case .word(let inner, quoted: true)? = try Tokenizer.tokenize(cell).first else { throw CommandError("a quoted cell must hold one quoted value") }
                            fields[name] = try ValueSyntax.value(inner, quoted: true)
                        } else {
                            fields[name] = try ValueSyntax.value(cell, quoted: false)
                        }
                    } catch let error as CommandError {
                        throw CommandError("\(path) line \(line), column \(name): \(error.message)")
                    }
                }
                entries.append((line, k, fields))
            }
        }
        try store.write(as: officer) { tx in
            for entry in entries {
                do { try tx.add(kind: entry.kind, fields: entry.fields) } catch let error as StoreError {
                    throw StoreError(error.code, "\(path) line \(entry.line): \(error.message); nothing was imported")
                }
            }
            try tx.noteImport(hash: hash, path: path, entries: entries.count)
        }
        // Values holding ids the exporting store gave: they name entries there, not the new ones.
        var referring = 0
        var named = Set<String>()
        if !exportedIDs.isEmpty {
            for entry in entries {
                var refers = false
                for case .text(let text) in entry.fields.values {
                    for word in text.lowercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) where exportedIDs.contains(String(word)) {
                        refers = true
                        if named.count < 5 { named.insert(String(word)) }
                    }
                }
                if refers { referring += 1 }
            }
        }
        if json { return Output(text: encode(["imported": entries.count, "referToExportedIds": referring])) }
        var summary = "imported \(Self.plural(entries.count, "entry", "entries")) from \(path)"
        if referring > 0 {
            summary +=
                "\nnote: \(Self.plural(referring, "imported entry refers", "imported entries refer")) to ids of the store that exported the file (\(named.sorted().joined(separator: ", "))\(referring > 5 ? ", …" : "")): here those entries have new ids, so fix the references with set"
        }
        return Output(text: summary)
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let key, _): return "\(key.stringValue) is missing"
        case DecodingError.typeMismatch(_, let c): return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "not valid JSON"
        }
    }
}

struct ExportedEntry: Encodable {
    var id: String
    var kind: String
    var fields: [String: FieldValue]
}
