import Foundation
import Testing

/// The build-time check of the SQL migrations: the tool the build plugin runs.
@Suite struct MigrationsToolTests {
    let tool: Executable
    let folder: TemporaryFolder

    init() throws {
        tool = try Executable("DaftarMigrationsTool")
        folder = try TemporaryFolder()
    }

    @Test func migrationsThatApply_becomeSwiftThatRegistersThemInOrder() throws {
        try folder.write("0001_people.sql", "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT);\n")
        try folder.write("0002_cities.sql", "-- cities\nALTER TABLE person ADD COLUMN city TEXT;\nCREATE INDEX person_city ON person (city);\n")
        let output = folder.file("Generated.swift")
        let result = try tool.run([output, folder.file("0001_people.sql"), folder.file("0002_cities.sql")])
        #expect(result.status == 0, "\(result.err)")
        let swift = try String(contentsOfFile: output, encoding: .utf8)
        #expect(swift.contains("(\"0001_people\""))
        #expect(swift.range(of: "0001_people")!.lowerBound < swift.range(of: "0002_cities")!.lowerBound)
        #expect(swift.contains("migrator.registerMigration(migration.identifier)"))
    }

    @Test func migrationThatDoesNotApplyOnTopOfTheOnesBefore_failsWithFileAndLine() throws {
        try folder.write("0001_people.sql", "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT);\n")
        try folder.write("0002_again.sql", "-- a second try\n\nCREATE INDEX person_name ON person (name);\nCREATE TABLE person (id INTEGER);\n")
        let result = try tool.run([folder.file("out.swift"), folder.file("0001_people.sql"), folder.file("0002_again.sql")])
        #expect(result.status != 0)
        #expect(result.err.contains("0002_again.sql:4: error: table person already exists"), "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.swift")))
    }

    @Test func syntaxError_namesItsLine() throws {
        try folder.write("0001_bad.sql", "CREATE TABLE a (x);\n\nCREATE TABEL b (y);\n")
        let result = try tool.run([folder.file("out.swift"), folder.file("0001_bad.sql")])
        #expect(result.status != 0)
        #expect(result.err.contains("0001_bad.sql:3: error:"), "\(result.err)")
        #expect(result.err.contains("syntax error"), "\(result.err)")
    }

    @Test func gapInNumbering_isRefused() throws {
        try folder.write("0001_a.sql", "CREATE TABLE a (x);")
        try folder.write("0003_c.sql", "CREATE TABLE c (x);")
        let result = try tool.run([folder.file("out.swift"), folder.file("0001_a.sql"), folder.file("0003_c.sql")])
        #expect(result.status != 0)
        #expect(result.err.contains("0003_c.sql:1: error: migration 0003_c should be numbered 0002"), "\(result.err)")
    }
}
