"""Load generator for the whole Luna Voice stack (`python -m bench.load --help`)."""
