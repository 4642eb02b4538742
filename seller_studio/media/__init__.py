"""The media core: sources -> compositor -> encoders -> outputs. Imports no Qt."""
