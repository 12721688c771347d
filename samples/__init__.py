"""Synthetic claim documents with exact ground truth (see samples/README.md)."""
