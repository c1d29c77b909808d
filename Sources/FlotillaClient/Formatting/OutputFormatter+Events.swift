import FlotillaAPI
import Foundation

/// The output of `flotilla events`: one line per event, as it comes.
extension OutputFormatter {
    /// `--output json`: the event's wire JSON on one line (sorted keys).
    public static func eventJSONLine(_ event: Global.Event) throws -> String {
        String(decoding: try WireJSON.encoder().encode(event), as: UTF8.self) + "\n"
    }

    /// `--output table`: revision, the time this client received it (the API's events carry no time of their
    /// own), type, the instance (name and id) or worker concerned, its host and state, e.g.
    /// `42  2026-11-30T03:10:00Z  instance.state_changed  web-1 (ID)  host=h1  state=running (was starting)`.
    public static func eventLine(_ event: Global.Event, receivedAt: Date) -> String {
        var parts = [String(event.revision), timestamp(receivedAt), event.type]
        if let instance = event.instance {
            parts.append("\(instance.name) (\(instance.id))")
        } else if let id = event.instanceId {
            parts.append(id)
        }
        if let host = event.instance?.host ?? event.workerId {
            parts.append(event.type.hasPrefix("leader.") ? "leader=\(host)" : event.instanceId == nil ? "worker=\(host)" : "host=\(host)")
        }
        if let instance = event.instance {
            let was = event.previousState.map { " (was \($0))" } ?? ""
            parts.append("state=\(instance.state)\(was)")
            if instance.desired != instance.state { parts.append("desired=\(instance.desired)") }
        } else if let previous = event.previousState {
            parts.append("was=\(previous)")
        }
        if let term = event.term { parts.append("term=\(term)") }
        return parts.joined(separator: "  ") + "\n"
    }
}
