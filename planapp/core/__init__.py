"""Cross-domain building blocks. Nothing here imports a domain package."""
