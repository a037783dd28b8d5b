import Foundation
import Testing
@testable import TesseraServer

/// `tessera serve`'s flags, parsed from the settings table (`ServeFlags`): every setting is a flag, and
/// each flag sets its own setting and no other.
@Suite struct ServeFlagsTests {
    /// A value of the key's kind, in its text form and as `ServeOptions` holds it (as text again).
    func sample(_ key: ServeOptions.CodingKeys) -> String {
        switch key.kind {
        case .string: return "value-of-\(key.rawValue)"
        case .integer: return "\(7 + key.rawValue.utf8.count)"
        case .number: return "\(key.rawValue.utf8.count).5"
        case .boolean: return "true"
        }
    }

    @Test func everySettingIsAFlagThatSetsItAndNothingElse() throws {
        for key in ServeOptions.CodingKeys.allCases {
            let arguments = key.kind == .boolean ? [key.flag] : [key.flag, sample(key)]
            let layer = try ServeFlags.parse(arguments)
            #expect(layer.keysSet == [key], "\(arguments)")
            #expect(layer.text(key) == sample(key), "\(arguments)")
            if key.kind == .boolean {
                let off = try ServeFlags.parse(["--no-" + key.rawValue])
                #expect(off.keysSet == [key] && off.text(key) == "false", "--no-\(key.rawValue)")
            } else {
                let attached = try ServeFlags.parse(["\(key.flag)=\(sample(key))"])
                #expect(attached == layer, "\(key.flag)=")
            }
        }
        #expect(try ServeFlags.parse([]) == ServeOptions())
    }

    @Test func allFlagsAtOnceAndTheLaterOfTwoWins() throws {
        var arguments: [String] = []
        for key in ServeOptions.CodingKeys.allCases { arguments += key.kind == .boolean ? [key.flag] : [key.flag, sample(key)] }
        let all = try ServeFlags.parse(arguments)
        #expect(all.keysSet == ServeOptions.CodingKeys.allCases)
        let twice = try ServeFlags.parse(["--listen", "a:1", "--fsync", "--listen=b:2", "--no-fsync"])
        #expect(twice.listen == "b:2" && twice.fsync == false)
        // A value is taken as given, even one that starts with dashes or holds '='.
        let odd = try ServeFlags.parse(["--domain", "--x", "--region=a=b"])
        #expect(odd.domain == "--x" && odd.region == "a=b")
    }

    @Test(arguments: [
        (["--data-dri", "x"], "unknown flag '--data-dri' (the nearest is --data-dir)"),
        (["--max-parts", "many"], "--max-parts: expected an integer, got \"many\""),
        (["--sweep-interval=inf"], "--sweep-interval: expected a number, got \"inf\""),
        (["--listen"], "--listen: missing its value (listen)"),
        (["--fsync=false"], "--fsync takes no value: give --fsync or --no-fsync"),
        (["--no-listen"], "unknown flag '--no-listen' (the nearest is --listen)"),
        (["serve"], "unexpected argument 'serve' (settings are flags: --name value)"),
        (["--"], "unexpected argument '--' (settings are flags: --name value)"),
        (["--LISTEN", "x"], "unknown flag '--LISTEN' (the nearest is --listen)"),
        // Names compare as bytes: a canonically equivalent spelling is not the flag.
        (["--data-dir\u{301}", "x"], "unknown flag '--data-dir\u{301}' (the nearest is --data-dir)"),
    ])
    func badArgumentsAreRefusedByName(_ arguments: [String], _ message: String) {
        #expect(throws: ConfigError(message)) { _ = try ServeFlags.parse(arguments) }
    }

    @Test func theHelpShowsEveryFlagWithinEightyColumns() {
        let help = ServeFlags.help
        for key in ServeOptions.CodingKeys.allCases {
            let line = key.kind == .boolean ? "  \(key.flag), --no-\(key.rawValue)\n" : "  \(key.flag) <\(key.valueName)>\n"
            #expect(help.contains(line), "\(key.rawValue)")
        }
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(Set(ServeFlags.names).count == ServeFlags.names.count)
        #expect(ServeFlags.names.count == ServeOptions.CodingKeys.allCases.count
                + ServeOptions.CodingKeys.allCases.filter { $0.kind == .boolean }.count)
    }
}
