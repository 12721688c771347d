"""Sub-commands of the matex CLI, one module each."""
