import ArgumentParser
import FlotillaHost

extension HostConfiguration {
    /// A configuration read for a command (``HostConfiguration/parse(_:environment:readFile:)``): a value it
    /// refuses as ``HostError/usage(_:)`` becomes a `ValidationError`, reported as a usage error (exit status 2).
    static func checked(_ parse: () throws -> HostConfiguration) throws -> HostConfiguration {
        do {
            return try parse()
        } catch HostError.usage(let message) {
            throw ValidationError(message)
        }
    }
}
