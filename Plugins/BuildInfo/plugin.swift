import Foundation
import PackagePlugin

/// Gives the `tessera` target the commit it is built from (`tessera --version`): before each build,
/// scripts/build-info.sh writes BuildCommit.swift from `git rev-parse`, rewriting it only when the commit changed,
/// so an unchanged tree recompiles nothing.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "scripts/build-info.sh")
        return [.prebuildCommand(displayName: "Build info: the commit tessera is built from",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [script.path, context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
