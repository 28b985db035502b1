"""The inputs of a preview or a full run, held together: dataset, assumption set, scenario spec, product."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Inputs", "job_matches"]


@dataclass(frozen=True)
class Inputs:
    """What a preview or a job values.

    Attributes
    ----------
    dataset : Dataset or None
        An opened dataset (:func:`livecalc_lab.open_dataset`); None until one is chosen.
    assumptions : AssumptionSet
    scenarios : ScenarioSpec or None
        None values deterministically.
    product : str
        A product of the assumption set, e.g. ``"basic_term_s"``.
    """

    dataset: Any
    assumptions: Any
    scenarios: Any
    product: str

    def replace(self, **changes: Any) -> Inputs:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def ready(self) -> bool:
        """Whether there is a dataset to value."""
        return self.dataset is not None

    def key(self) -> tuple[str, str | None, str, str | None, str]:
        """What identifies the valuation: (source without version, data version, assumption-set
        version, scenario-spec version, product). Reads the dataset's version (cached by the data layer)."""
        src = {k: v for k, v in self.dataset.source.to_dict().items() if k != "version"}
        return (json.dumps(src, sort_keys=True), self.dataset.version, self.assumptions.version,
                self.scenarios.version if self.scenarios is not None else None, self.product)


def job_matches(spec: Any, key: tuple[str, str | None, str, str | None, str]) -> bool:
    """Whether the job of ``spec`` (a :class:`~livecalc_lab.jobs.spec.JobSpec`) values the inputs of ``key``."""
    src = {k: v for k, v in spec.source.items() if k != "version"}
    return (json.dumps(src, sort_keys=True), spec.data_version, spec.assumptions.get("version"),
            spec.scenarios_version, spec.product) == key
