"""Darkroom's local engine: pure functions on images, no Django, no I/O.

Everything here takes NumPy arrays (H×W×3, uint8, RGB) and returns new ones,
so the worker, the CLI and the benchmarks call the same code.
"""
