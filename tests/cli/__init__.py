"""The command line as users run it: every command, its inputs, outputs, errors and exits."""
