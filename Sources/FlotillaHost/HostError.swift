/// Why a host could not start. Each description is the one line `flotilla serve` prints on standard error.
public enum HostError: Error, CustomStringConvertible {
    case configuration(String)
    /// An option of `flotilla serve` (or its variable) that cannot be used: the command line's fault, which the
    /// command reports as a usage error (``HostConfiguration/parse(_:environment:readFile:)``).
    case usage(String)
    /// Another process holds the data folder's lock (`DataFolderLock`); its PID when the lock file names one.
    case dataFolderInUse(path: String, pid: Int32?)
    /// A listener could not bind `address` (`HOST:PORT`); `option` is the flag that chooses it.
    case cannotListen(address: String, option: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let m), .usage(let m):
            return m
        case .dataFolderInUse(let path, let pid):
            let holder = pid.map { "pid \($0)" } ?? "pid unknown"
            return "the data folder \(path) is in use by another flotilla serve (\(holder)); stop it or choose another --data-dir"
        case .cannotListen(let address, let option, let reason):
            return "cannot listen on \(address): \(reason) (\(option) chooses another address)"
        }
    }
}
