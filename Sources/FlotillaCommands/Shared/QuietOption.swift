import ArgumentParser
import FlotillaClient

/// `-q/--quiet` of every list command: only the ids, one per line, for scripts (`xargs`, `for id in ...`).
struct QuietOption: ParsableArguments {
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print only the ids, one per line.")
    var quiet = false

    /// `-q` prints ids, `--output json` prints JSON: asking for both is a usage error.
    func check(_ client: ClientOptions) throws {
        if quiet && client.output == .json { throw ValidationError("--quiet and --output json cannot be used together") }
    }
}

extension ClientRunner {
    /// Prints the ids of `value` one per line with `-q`, else what ``emit(_:_:table:)`` prints.
    static func emitList<Value: Encodable>(
        _ value: Value, _ options: ClientOptions, quiet: QuietOption, ids: (Value) -> [String], table: (Value) -> String
    ) throws {
        if quiet.quiet {
            printOut(OutputFormatter.idLines(ids(value)))
        } else {
            try emit(value, options, table: table)
        }
    }
}
