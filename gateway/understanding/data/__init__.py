"""Training data of the understanding component (a package so that wheels ship the files)."""
