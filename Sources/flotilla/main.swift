import FlotillaCommands

// Every command lives in FlotillaCommands (docs/architecture.md); the executable only runs the root one.
await FlotillaCommand.main()
