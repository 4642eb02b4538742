"""Video and audio encoders, one module per kind; ``registry.open_encoders`` picks and opens them."""
