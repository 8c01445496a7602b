"""Project tools run from the command line (not shipped in the package)."""
