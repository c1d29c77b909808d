#if canImport(Glibc)
    import Glibc
#endif

/// Gives the memory the allocator holds free back to the operating system. Loading a large registry decodes every
/// record once (transient buffers several times the size of what is kept); glibc keeps those pages mapped, so the
/// host's resident memory would stay at the peak of its start-up. Called once, after the load. glibc's
/// `malloc_trim` is not in the Glibc module: it is looked up by name, and nothing happens on a libc without it.
enum ReleaseFreedMemory {
    private typealias Trim = @convention(c) (Int) -> Int32

    static func now() {
        #if canImport(Glibc)
            if let symbol = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(symbol, to: Trim.self)(0) }
        #endif
    }
}
