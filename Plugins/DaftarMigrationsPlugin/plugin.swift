import Foundation
import PackagePlugin

/// Turns the numbered `.sql` files in a target's `Migrations/` folder into Swift that registers
/// them with GRDB's migrator. The checking and the code generation live in
/// `DaftarMigrationsTool`; this plugin only tells the build system what goes in and out.
@main
struct DaftarMigrationsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let folder = target.directoryURL.appending(path: "Migrations")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path())) ?? []
        let inputs = names.filter { $0.hasSuffix(".sql") }.sorted().map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "Migrations.generated.swift")
        return [
            .buildCommand(
                displayName: "Checking \(inputs.count) SQL migrations of \(target.name)",
                executable: try context.tool(named: "DaftarMigrationsTool").url,
                arguments: [output.path()] + inputs.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
