"""Defences beyond the detector: step-up verification, linked-account takedowns, audits,
output watermarking and the analysts' review queue, composed in stacks
(:mod:`.specs`), run in the closed loop (:mod:`.loop`), one module per policy.
See ``docs/defences.md``."""

from simulator.bench.defences.specs import (
    Audit,
    Defence,
    DefenceStack,
    ReviewQueue,
    StepUp,
    Takedown,
    Watermark,
    parse_stack,
)

__all__ = ["Audit", "Defence", "DefenceStack", "ReviewQueue", "StepUp", "Takedown", "Watermark", "parse_stack"]
