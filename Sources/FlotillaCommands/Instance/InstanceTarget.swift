import ArgumentParser

/// What every lifecycle command of `flotilla instance` takes: the client options, the instance, `--no-wait`
/// and `--timeout`.
struct InstanceTarget: ParsableArguments, ActionTarget {
    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @OptionGroup var waiting: WaitOptions

    var wait: Bool { waiting.wait }

    var reference: String { instance }
}
