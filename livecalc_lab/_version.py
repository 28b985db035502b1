"""The package version (one number, shared with every artefact that carries one)."""

__version__ = "0.1.0"
