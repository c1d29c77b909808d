import ArgumentParser
import Foundation

extension StoreOptions {
    /// The PostgreSQL store's password: the file's content (one trailing newline dropped), else
    /// `FLOTILLA_POSTGRES_PASSWORD`, else none. Never a flag value, which the process list would show.
    static func postgresPassword(file: String?, _ env: Environment) throws -> String? {
        guard let file else { return env["POSTGRES_PASSWORD"] }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("--postgres-password-file \(file) cannot be read")
        }
        var password = String(decoding: data, as: UTF8.self)
        if password.hasSuffix("\r\n") { password.removeLast(2) } else if password.hasSuffix("\n") { password.removeLast() }
        guard !password.isEmpty else { throw ValidationError("--postgres-password-file \(file) is empty") }
        return password
    }
}
