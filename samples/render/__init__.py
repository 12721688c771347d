"""Document renderers: each returns (RGB image array, Truth) for one upright document."""
