"""Access tactics: which organisations, keys and pathway a campaign's traffic uses.

* ``kind: direct``: the campaign registers its own organisations and API keys
  and calls the API directly or through a cloud marketplace.
* ``kind: reseller``: a hydra pool behind a reseller. The campaign's accounts
  are registered into the reseller's organisation(s) and send through the
  reseller's shared API keys (pathway ``reseller``), interleaved with the
  reseller's legitimate end customers; tokens cost the reseller's discounted
  price. Unless it keeps ``own_infrastructure``, the campaign's traffic leaves
  from the reseller's servers, bills to the reseller organisation's card and
  runs on the reseller's SDK, as the end customers' does (the campaign's
  ``infrastructure`` block then does not apply). The reseller is a population
  group of ``kind: reseller`` named in the scenario; its actor exposes
  ``org_codes()``, ``shared_keys(org)``, ``servers(org)``, ``client(org)`` and
  ``card(org)``.

Source: Anthropic, "Detecting and preventing distillation attacks" (2026-02-23):
commercial proxy services resell access to frontier models through "hydra
cluster" architectures; one network ran more than 20,000 fraudulent accounts
at once and mixed distillation traffic with unrelated customers' requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from simulator.scenario.base import StrictModel

if TYPE_CHECKING:
    pass

__all__ = ["Access", "DirectAccess", "ResellerAccess"]

PathwayWeights = dict[Literal["cloud_marketplace", "direct_api"], Annotated[float, Field(ge=0)]]


class DirectAccess(StrictModel):
    """The campaign's own organisations and keys, straight to the API or via a cloud marketplace."""

    kind: Literal["direct"] = Field(description="Own organisations and API keys.")
    pathways: PathwayWeights | None = Field(
        default=None,
        description="Weights over how requests reach the API: direct_api or cloud_marketplace (default: like the "
        "customers' who do not come through a reseller).",
    )

    def reseller_name(self) -> str | None:
        return None

    def with_default_pathways(self, weights: dict[str, float]) -> DirectAccess:
        """This access with ``weights`` as its pathways if it has none."""
        return self if self.pathways is not None else self.model_copy(update={"pathways": weights})


class ResellerAccess(StrictModel):
    """A hydra pool behind a reseller that also serves legitimate customers."""

    kind: Literal["reseller"] = Field(description="Through a reseller's organisations and shared keys.")
    reseller: str = Field(description="Name of the population group (kind: reseller) the campaign buys access from.")
    discount: float = Field(
        default=0.3, ge=0, lt=1, description="Reseller's discount on list token prices (0.3: pays 70%)."
    )
    own_infrastructure: bool = Field(
        default=False,
        description="Keep the campaign's own proxies, clients and cards (its 'infrastructure' block) behind the "
        "reseller; default: the reseller's servers, SDK and organisation card, like its end customers.",
    )

    def reseller_name(self) -> str | None:
        return self.reseller

    def with_default_pathways(self, weights: dict[str, float]) -> ResellerAccess:
        """This access (requests through a reseller take its pathway)."""
        return self


Access = Annotated[DirectAccess | ResellerAccess, Field(discriminator="kind")]
"""How the campaign's traffic reaches the API, chosen by ``kind``."""
