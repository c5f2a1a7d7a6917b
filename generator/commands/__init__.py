"""The `homepost` subcommands that have grown beyond a few lines, one module per group."""
