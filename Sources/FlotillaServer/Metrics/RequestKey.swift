/// The labels of one HTTP request series (the surface follows from the route).
struct RequestKey: Hashable, Sendable {
    var route: String
    var method: String
    var status: Int
}
