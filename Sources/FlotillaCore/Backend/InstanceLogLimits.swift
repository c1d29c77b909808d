/// The bounds of an instance's log read (ADR 0024): how many lines a tail may ask for and how long one line may be.
public enum InstanceLogLimits {
    /// The largest `tail`.
    public static let maxTail = 10_000
    /// The default `tail` when none is given.
    public static let defaultTail = 100
    /// Bytes of one line kept; the rest of a longer line is cut (its newline is kept).
    public static let maxLineBytes = 64 << 10
}
