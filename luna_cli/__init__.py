"""The `luna` command: tools for people trying Luna Voice from a terminal."""
