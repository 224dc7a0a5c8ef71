"""The import report: what was loaded, what was rejected and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Rejection:
    index: int  # position of the feature in the source layer (0-based)
    reason: str


@dataclass
class ImportReport:
    source_name: str
    source_format: str
    source_layer: str
    source_crs: str = ""
    text_encoding: str = ""  # legacy encoding text was decoded from ("" = as declared)
    features_read: int = 0
    features_loaded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_attributes: list[str] = field(default_factory=list)

    def reject(self, index: int, reason: str) -> None:
        self.rejected.append(Rejection(index, reason))

    def as_dict(self) -> dict:
        return asdict(self)
