"""Evaluation: score extraction output against the generator's gold files (truth JSON)."""
