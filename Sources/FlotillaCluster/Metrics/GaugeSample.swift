/// One value of a gauge series: a metric name, its labels in order, and the value (``FleetGauges``).
public struct GaugeSample: Sendable, Equatable, Hashable {
    public var name: String
    public var labels: [Label]
    public var value: Double

    public struct Label: Sendable, Equatable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ name: String, _ labels: [Label] = [], _ value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    /// The series this sample belongs to: its name and labels, without the value.
    public var series: GaugeSample { GaugeSample(name, labels, 0) }
}
