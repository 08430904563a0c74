"""certprep: prepare professional certification applications with grounded, cited answers."""

__version__ = "0.1.0"
