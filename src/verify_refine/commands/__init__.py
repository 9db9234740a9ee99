"""One module per subcommand: its argparse setup and its run function. These, and cli.py, are
the only modules that print."""
