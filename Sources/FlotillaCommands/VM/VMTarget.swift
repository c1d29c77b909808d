import ArgumentParser

/// What every VM lifecycle command takes: the client options, the VM, `--no-wait` and `--timeout`.
struct VMTarget: ParsableArguments, ActionTarget {
    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM's uuid or its exact name.")
    var vm: String

    @OptionGroup var waiting: WaitOptions

    var wait: Bool { waiting.wait }

    var reference: String { vm }
}
