extension InstanceValidation {
    /// Pure checks of a backend configuration (env, ports, volumes, image reference shape), run by every
    /// surface before anything is written, so that a bad spec is a 400 and never an instance in `error`.
    public static func validateConfig(_ config: InstanceConfig, backend: BackendKind) throws(FlotillaError) {
    }
}
