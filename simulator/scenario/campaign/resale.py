"""Resale tactics: whether a campaign's accounts also carry unrelated customers' traffic.

* ``kind: none`` (default): every request of a harvesting account is the campaign's.
* ``kind: customers``: a hydra network sells access through its pool accounts; a
  share ``share`` of every harvesting account's conversations are ordinary customers'
  conversations relayed through it, drawn like the sessions of the interactive
  archetype ``profile`` (its default session shape: topics, input, system-prompt and
  output lengths, max_tokens values, chain-of-thought share, system prompts). They
  keep the account's threading, rhythm and identity (they leave through the same
  account). Per request they are labelled benign (``template_id`` −2,
  :data:`simulator.traffic.RESOLD_TEMPLATE`); the account stays the attacker's.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
hydra-cluster proxy services mixed distillation traffic with unrelated customers'
requests sold through the same accounts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario.base import StrictModel

__all__ = ["CustomerResale", "NoResale", "Resale"]

Profile = Literal["chat", "power_user", "coding_assistant", "agent"]


class NoResale(StrictModel):
    """No resold traffic: the accounts carry the campaign's requests only."""

    kind: Literal["none"] = Field(description="No resold customers' traffic.")

    @property
    def share(self) -> float:
        """No conversation is resold."""
        return 0.0

    def profile_kind(self) -> str | None:
        return None


class CustomerResale(StrictModel):
    """Pool accounts also relay other customers' ordinary conversations."""

    kind: Literal["customers"] = Field(description="Resold customers' conversations through the pool accounts.")
    share: float = Field(
        gt=0, le=0.95, description="Share of each harvesting account's conversations that are resold customers'."
    )
    profile: Profile = Field(default="chat", description="Interactive archetype whose sessions the resold ones are.")

    def profile_kind(self) -> str | None:
        return self.profile


Resale = Annotated[NoResale | CustomerResale, Field(discriminator="kind")]
"""Whether the campaign's accounts carry resold customers' traffic, chosen by ``kind``."""
