"""The model registry: versioned immutable artifacts, a production pointer, the promotion gate."""
