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
    /// Network definitions (``NetworkDefinition``), reduced into the registry.
    public static let networks = "/flotilla/networks/"
    /// Snapshots (``Snapshot``), reduced into the registry (docs/decisions/0028-snapshots.md).
    public static let snapshots = "/flotilla/snapshots/"
    /// Address allocations, one key per address in use (value: the instance id), outside ``root``: the registry
    /// reads addresses from the instances' specs; these keys only make the create transaction refuse a taken one.
    public static let addresses = "/flotilla-addresses/"
    /// Marks that the built-in catalogs were seeded once.
    public static let catalogSeeded = "/flotilla/meta/catalog-seeded"
    /// Idempotency records are read on demand, not reduced into the registry.
    public static let idempotency = "/flotilla-idempotency/"
    /// The audit trail (ADR 0018), outside ``root`` so the registry never holds it: records in hour buckets,
    /// plus one marker per bucket so a reader finds the buckets without listing the records.
    public static let auditRecords = "/flotilla-audit/records/"
    public static let auditHours = "/flotilla-audit/hours/"

    public static func instance(_ id: String) -> String { instances + id }
    public static func name(_ name: String) -> String { names + name }
    public static func worker(_ id: String) -> String { workers + id }
    public static func alive(_ id: String) -> String { alive + id }
    public static func apiKey(hash: String) -> String { apiKeys + hash }
    public static func flavor(_ id: String) -> String { flavors + id }
    public static func image(_ id: String) -> String { images + id }
    public static func network(_ name: String) -> String { networks + name }
    public static func snapshot(_ id: String) -> String { snapshots + id }
    public static func address(network: String, _ address: IPv4Address) -> String {
        addresses + network + "/" + address.description
    }
    public static func idempotency(_ digest: String) -> String { idempotency + digest }
    public static func auditBucket(hour: Int) -> String { auditRecords + auditHourText(hour) + "/" }
    public static func auditRecord(hour: Int, id: String) -> String { auditBucket(hour: hour) + id }
    public static func auditHour(_ hour: Int) -> String { auditHours + auditHourText(hour) }
    /// An hour bucket as 8 digits, so buckets sort by key as they do by time.
    static func auditHourText(_ hour: Int) -> String {
        let digits = String(max(0, hour))
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
