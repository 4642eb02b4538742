"""The studio as the seller runs it, without Qt: profiles and settings, assembling a Studio from a
profile, the demo's sandbox child process (and the studio controller). Used by ui/ and cli/."""
