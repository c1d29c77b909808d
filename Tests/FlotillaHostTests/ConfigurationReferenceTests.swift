import FlotillaTestSupport
import Foundation
import Testing

/// docs/configuration.md held to the built `flotilla` and to the sources: every option `flotilla serve --help` shows
/// has a row; every option's help names the `FLOTILLA_` variable it reads, and the sources read it; every `FLOTILLA_`
/// variable the sources name is in a `--help` and in the page; the page names no variable nothing reads. A flag added
/// without its row fails here, on purpose.
@Suite("Configuration reference")
struct ConfigurationReferenceTests {
    /// The repository's root: three folders up from this file (Tests/FlotillaHostTests/ThisFile.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("every option of `flotilla serve --help` has a row in docs/configuration.md")
    func everyOptionDocumented() async throws {
        let options = try await Self.serveOptions()
        #expect(options.count >= 40, "found only \(options.map(\.names)) in serve --help")
        let documented = try Self.tokens(#"`(--[a-z0-9][a-z0-9-]*)"#, in: Self.page())
        let missing = options.filter { option in !option.names.contains { documented.contains($0) } }.map(\.names)
        #expect(missing.isEmpty, "serve options without a row in docs/configuration.md: \(missing)")
    }

    @Test("every serve option's help names its FLOTILLA_ variable, and the sources read that variable")
    func everyOptionNamesItsVariable() async throws {
        let read = try Self.variablesRead()
        for option in try await Self.hostOptions() {
            let expected = option.names.flatMap { name in
                let bare = name.dropFirst(2)
                let names = [bare] + (bare.hasPrefix("no-") ? [bare.dropFirst(3)] : [])
                return names.map { "FLOTILLA_" + $0.uppercased().replacingOccurrences(of: "-", with: "_") }
            }
            let named = expected.filter { option.help.contains($0) }
            let shown = option.names.joined(separator: "/")
            #expect(!named.isEmpty, "\(shown) does not name \(expected.joined(separator: " or ")): \(option.help)")
            for variable in named {
                #expect(read.contains(variable), "\(option.names[0])'s help names \(variable), but no source reads it")
            }
        }
    }

    @Test("every FLOTILLA_ variable in Sources is named by serve --help or the client options' help, and in docs/configuration.md")
    func everyVariableDocumented() async throws {
        let inSources = try Self.variables(under: "Sources")
        #expect(inSources.contains("FLOTILLA_DOCKER_SOCKET"), "the scan found \(inSources.sorted())")
        let helped = try await Self.tokens(Self.variablePattern, in: Self.help(["serve", "--help"]))
            .union(Self.tokens(Self.variablePattern, in: Self.help(["instance", "list", "--help"])))
        let documented = try Self.tokens(Self.variablePattern, in: Self.page())
        #expect(inSources.subtracting(helped).isEmpty, "not named by any --help: \(inSources.subtracting(helped).sorted())")
        #expect(inSources.subtracting(documented).isEmpty, "no row in docs/configuration.md: \(inSources.subtracting(documented).sorted())")
    }

    @Test("docs/configuration.md names no FLOTILLA_ variable that no source, test or script reads")
    func noStaleVariable() throws {
        let known = try Self.variables(under: "Sources").union(Self.variables(under: "Tests")).union(Self.variables(under: "scripts"))
        let stale = try Self.tokens(Self.variablePattern, in: Self.page()).subtracting(known)
        #expect(stale.isEmpty, "docs/configuration.md names variables nothing reads: \(stale.sorted())")
    }

    // MARK: - Reading the help, the page and the sources

    /// One option of a `--help` page: its names (`--metrics/--no-metrics` gives two) and its help text on one line.
    struct HelpOption {
        var names: [String]
        var help: String
    }

    static let variablePattern = #"(FLOTILLA_[A-Z][A-Z0-9_]*[A-Z0-9])"#

    static func page() throws -> String {
        try String(contentsOfFile: root + "/docs/configuration.md", encoding: .utf8)
    }

    /// The options of `flotilla serve --help` but `--help`, each with the text of its help.
    static func serveOptions() async throws -> [HelpOption] {
        let text = try await help(["serve", "--help"])
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "OPTIONS:") else { throw ProcessFailure("no OPTIONS: in serve --help:\n\(text)") }
        let optionLine = try Regex(#"^  (?:-[a-zA-Z], )?(--[a-z0-9][a-z0-9-]*)(?:/(--[a-z0-9][a-z0-9-]*))?"#)
        var options: [HelpOption] = []
        for line in lines[(start + 1)...] {
            if let match = line.firstMatch(of: optionLine) {
                let names = (1..<match.output.count).compactMap { match.output[$0].substring.map(String.init) }
                options.append(HelpOption(names: names, help: String(line[match.range.upperBound...])))
            } else if !options.isEmpty {
                options[options.count - 1].help += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return options.filter { $0.names != ["--help"] }.map { HelpOption(names: $0.names, help: collapse($0.help)) }
    }

    /// The options of `serve` that configure the host, which each read a variable: not `--version`, which every
    /// command shows.
    static func hostOptions() async throws -> [HelpOption] {
        try await serveOptions().filter { $0.names != ["--version"] }
    }

    /// The standard output of the built `flotilla` with `arguments`.
    static func help(_ arguments: [String]) async throws -> String {
        guard FileManager.default.isExecutableFile(atPath: ServeProcess.binary) else {
            throw ProcessFailure("no flotilla binary at \(ServeProcess.binary): run `swift build` first (the test command does)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = arguments
        let run = try await ProcessRun.capture(process, timeout: .seconds(60))
        guard run.status == 0, !run.timedOut else {
            throw ProcessFailure("flotilla \(arguments.joined(separator: " ")) exited \(run.status): \(run.err)")
        }
        return run.out
    }

    /// Every `FLOTILLA_` name in the files under `folder` (Swift sources, scripts), and the `FLOTILLA_`-less names
    /// `flotilla serve` reads through its `Environment` (`env["ZONE"]`, `env.number("CPUS")`) with the prefix.
    static func variables(under folder: String) throws -> Set<String> {
        var names: Set<String> = []
        for text in try files(under: folder) {
            names.formUnion(try tokens(variablePattern, in: text))
            names.formUnion(try environmentReads(in: text))
        }
        return names
    }

    /// The variables the sources read: through `Environment` (`env["ZONE"]`), or as a whole string literal
    /// (`environment["FLOTILLA_DOCKER_SOCKET"]`); a name only in a help text or a message is not read.
    static func variablesRead() throws -> Set<String> {
        var names: Set<String> = []
        for text in try files(under: "Sources") {
            names.formUnion(try environmentReads(in: text))
            names.formUnion(try tokens(#""(FLOTILLA_[A-Z][A-Z0-9_]*)""#, in: text))
        }
        return names
    }

    /// The names `flotilla serve` reads through its `Environment`, which adds the prefix: `env["ZONE"]`,
    /// `env.number("CPUS")` give `FLOTILLA_ZONE`, `FLOTILLA_CPUS`.
    static func environmentReads(in text: String) throws -> Set<String> {
        let names = try tokens(#"\benv(?:\[|\.[a-zA-Z]+\()"([A-Z][A-Z0-9_]*)""#, in: text)
        return Set(names.filter { !$0.hasPrefix("FLOTILLA_") }.map { "FLOTILLA_" + $0 })
    }

    static func files(under folder: String) throws -> [String] {
        let base = root + "/" + folder
        guard let paths = FileManager.default.enumerator(atPath: base)?.allObjects as? [String] else {
            throw ProcessFailure("cannot list \(base)")
        }
        return try paths.filter { $0.hasSuffix(".swift") || $0.hasSuffix(".sh") }.map {
            try String(contentsOfFile: base + "/" + $0, encoding: .utf8)
        }
    }

    /// The first capture of every match of `pattern` in `text`.
    static func tokens(_ pattern: String, in text: String) throws -> Set<String> {
        let regex = try Regex(pattern)
        return Set(text.matches(of: regex).compactMap { $0.output[1].substring.map(String.init) })
    }

    static func collapse(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
