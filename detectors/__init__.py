"""extractbench's detectors: the protocol, the registry and the built-in zoo."""
