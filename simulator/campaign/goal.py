"""What a campaign has extracted so far, toward its goal (the spec is
:class:`simulator.scenario.campaign.goal.Goal`).

Output tokens count once *served* (status 200), by the true topic of the
template each answered request came from (hidden truth), not the provider's
noisy classifier, so that "what the attacker got" is measured exactly. Filler
and warm-up requests never count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.prompts import TOPICS, topic_code
from simulator.scenario.campaign.goal import Goal

__all__ = ["Extraction"]


@dataclass
class Extraction:
    """Served requests and output tokens of one campaign, by true topic."""

    goal: Goal
    output_by_topic: np.ndarray = field(default_factory=lambda: np.zeros(len(TOPICS), dtype=np.int64))
    served_by_topic: np.ndarray = field(default_factory=lambda: np.zeros(len(TOPICS), dtype=np.int64))

    def record(self, topic: np.ndarray, output_tokens: np.ndarray) -> None:
        """Add served harvest requests with true topics ``topic``."""
        self.output_by_topic += np.bincount(topic, weights=output_tokens, minlength=len(TOPICS)).astype(np.int64)
        self.served_by_topic += np.bincount(topic, minlength=len(TOPICS))

    def toward_goal(self) -> int:
        """Output tokens served on the goal's capabilities."""
        if self.goal.capabilities is None:
            return int(self.output_by_topic.sum())
        return int(sum(self.output_by_topic[topic_code(name)] for name in self.goal.capabilities))

    @property
    def reached(self) -> bool:
        return self.goal.output_tokens is not None and self.toward_goal() >= self.goal.output_tokens

    def by_capability(self) -> dict[str, int]:
        """Output tokens served per topic (topics with any)."""
        return {TOPICS[i]: int(v) for i, v in enumerate(self.output_by_topic.tolist()) if v}
