"""Code shared by the camnet sender and hub: wire protocol, settings, motion detection, frames."""

__version__ = "0.1.0"
