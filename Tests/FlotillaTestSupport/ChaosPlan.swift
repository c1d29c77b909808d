/// The faults of a chaos run, drawn from its seed before it starts: episodes of one or two faults at once, each
/// fault lasting 2 to 15 s before it heals (a SIGSTOP at most 7 s: see ``fault(_:hosts:members:namespaced:)``), with a
/// pause between episodes. The same seed, duration and cluster
/// shape give the same plan; how far the run gets through it depends on the machine's speed (docs/reliability.md).
public struct ChaosPlan: Sendable, Equatable, CustomStringConvertible {
    /// What a fault does to its target.
    public enum Kind: String, Sendable, CaseIterable {
        /// The host's store connections: every connection reset, new ones refused.
        case storeCut = "store.cut"
        /// The host's store connections: open, but nothing flows.
        case storeBlackhole = "store.blackhole"
        /// The host's store traffic, each chunk late by `parameter` milliseconds.
        case storeDelay = "store.delay"
        /// The host's store connections: closed after `parameter` bytes each way.
        case storeDropAfter = "store.dropAfter"
        /// Other hosts cannot reach this one (its peer proxy is cut).
        case peersCut = "peers.cut"
        /// kill -9 of the host; the heal starts it again on the same folder.
        case hostKill = "host.kill9"
        /// SIGSTOP of the host; the heal is SIGCONT.
        case hostPause = "host.pause"
        /// SIGSTOP of whichever host leads at that moment (found through `/health`); the heal is SIGCONT.
        case leaderPause = "leader.pause"
        /// kill -9 of one etcd member; the heal starts it again (never two members at once: quorum stays).
        case etcdKill = "etcd.kill"
        /// The link of a host that runs in a network namespace of its own goes down (only such hosts).
        case linkDown = "link.down"

        /// Whether the fault takes a host's process down (at most one such fault at a time).
        var downsHost: Bool { [.hostKill, .hostPause, .leaderPause].contains(self) }

        /// How often each kind is drawn, relative to the others.
        static let weights: [(Kind, Int)] = [
            (.storeCut, 3), (.storeBlackhole, 2), (.storeDelay, 2), (.storeDropAfter, 2), (.peersCut, 2), (.hostKill, 2),
            (.hostPause, 1), (.leaderPause, 2), (.etcdKill, 2),
        ]
    }

    /// One fault: its kind, its target (a host index, or an etcd member index for `etcd.kill`; ignored for
    /// `leader.pause`), how long it lasts, and its parameter (milliseconds of delay, or bytes before the drop).
    public struct Fault: Sendable, Equatable, CustomStringConvertible {
        public var kind: Kind
        public var target: Int
        public var lasts: Duration
        public var parameter: Int

        public var description: String {
            let extra =
                switch kind {
                case .storeDelay: " \(parameter) ms"
                case .storeDropAfter: " after \(parameter) B"
                default: ""
                }
            let on = kind == .leaderPause ? "the leader" : kind == .etcdKill ? "member \(target)" : "host \(target + 1)"
            return "\(kind.rawValue)\(extra) on \(on) for \(lasts)"
        }
    }

    /// Faults injected together after `pause`; the episode ends when the last of them healed.
    public struct Episode: Sendable, Equatable {
        public var pause: Duration
        public var faults: [Fault]
    }

    public var episodes: [Episode]

    /// Draws the plan for a run of `duration` on `hosts` hosts (`namespaced`: the indexes of those in a network
    /// namespace of their own, the targets of `link.down`) and an etcd of `members` members.
    public init(random: ChaosRandom, duration: Duration, hosts: Int, members: Int, namespaced: [Int] = []) {
        var random = random
        var planned: Duration = .zero
        episodes = []
        while planned < duration {
            let pause = random.duration(in: .seconds(1)...(.seconds(5)))
            let first = Self.fault(&random, hosts: hosts, members: members, namespaced: namespaced)
            var faults = [first]
            // A second fault at once, on another target, when it keeps the cluster able to recover: never two
            // processes down, never a second etcd member, never alongside a leader pause (whose host is unknown yet).
            if random.chance(0.35), first.kind != .leaderPause {
                let second = Self.fault(&random, hosts: hosts, members: members, namespaced: namespaced)
                let clash =
                    second.kind == .leaderPause || (second.kind.downsHost && first.kind.downsHost)
                    || (second.kind == .etcdKill && first.kind == .etcdKill)
                    || (second.kind != .etcdKill && first.kind != .etcdKill && second.target == first.target)
                if !clash { faults.append(second) }
            }
            episodes.append(Episode(pause: pause, faults: faults))
            planned += pause + (faults.map(\.lasts).max() ?? .zero)
        }
    }

    private static func fault(_ random: inout ChaosRandom, hosts: Int, members: Int, namespaced: [Int]) -> Fault {
        let kind = random.pick(Kind.weights + (namespaced.isEmpty ? [] : [(.linkDown, 2)]))
        let drawn = random.int(in: 0...(hosts - 1))
        let host = kind == .linkDown ? namespaced[drawn % namespaced.count] : drawn
        let member = random.int(in: 0...(members - 1))
        // A paused host is frozen: it cannot fence itself, so it is woken before the leader could replace its
        // instances (lease 2 s + grace 6 s with the fast bounds; docs/decisions/0016-self-fencing.md, "what it does
        // not cover"). Every other fault lasts long enough to fence and reschedule.
        let longest: Duration = kind == .hostPause || kind == .leaderPause ? .seconds(7) : .seconds(15)
        let lasts = random.duration(in: .seconds(2)...longest)
        let parameter =
            switch kind {
            case .storeDelay: random.int(in: 200...1500)
            case .storeDropAfter: random.int(in: 200...5000)
            default: random.int(in: 0...0)
            }
        return Fault(kind: kind, target: kind == .etcdKill ? member : host, lasts: lasts, parameter: parameter)
    }

    /// One line per episode.
    public var description: String {
        episodes.enumerated().map { i, episode in
            "\(i + 1). after \(episode.pause): " + episode.faults.map(\.description).joined(separator: " + ")
        }.joined(separator: "\n")
    }
}
