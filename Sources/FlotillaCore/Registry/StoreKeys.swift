/// The key layout of the cluster store. Everything the registry reduces lives under ``root``.
public enum StoreKeys {
    public static let root = "/flotilla/"
    public static let instances = "/flotilla/instances/"
    public static let names = "/flotilla/names/"
    public static let workers = "/flotilla/workers/"
    public static let alive = "/flotilla/alive/"
    public static let leader = "/flotilla/leader"
    public static let apiKeys = "/flotilla/apikeys/"
    public static let flavors = "/flotilla/flavors/"
    public static let images = "/flotilla/images/"
    /// Marks that the built-in catalogs were seeded once.
    public static let catalogSeeded = "/flotilla/meta/catalog-seeded"
    /// Idempotency records are read on demand, not reduced into the registry.
    public static let idempotency = "/flotilla-idempotency/"

    public static func instance(_ id: String) -> String { instances + id }
    public static func name(_ name: String) -> String { names + name }
    public static func worker(_ id: String) -> String { workers + id }
    public static func alive(_ id: String) -> String { alive + id }
    public static func apiKey(hash: String) -> String { apiKeys + hash }
    public static func flavor(_ id: String) -> String { flavors + id }
    public static func image(_ id: String) -> String { images + id }
    public static func idempotency(_ digest: String) -> String { idempotency + digest }
}
