"""Renderings of the pack JSON for people."""
