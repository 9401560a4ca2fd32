"""Darkroom: a self-hostable AI photo service."""

__version__ = "0.1.0"
