"""Video sources, one module per kind, created by kind name through ``registry.create_source``."""
