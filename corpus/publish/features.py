"""The configs' column types and the three forms ``datasets`` reads them in, written without importing ``datasets``.

Importing ``datasets`` costs about 0.5 s of CPU and 30 MB only to spell the types. The forms written here are the
ones ``datasets`` writes for the same types; ``tests/test_publish_features.py`` checks them against ``datasets``:

- :func:`arrow_schema`: the parquet schema, with the ``huggingface`` metadata (``Features.arrow_schema``) that lets
  any reader get the ``ClassLabel`` names back;
- :func:`yaml_list`: the card's ``dataset_info.features`` (``Features._to_yaml_list``);
- :func:`dataset_info_yaml`, :func:`configs_yaml`: the card's ``dataset_info`` and ``configs`` entries, as
  ``DatasetInfosDict`` and ``MetadataConfigs`` write them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import pyarrow as pa

    from corpus.publish.dataset import SplitFiles

__all__ = [
    "ClassLabel",
    "Feature",
    "List",
    "Value",
    "arrow_schema",
    "configs_yaml",
    "dataset_info_yaml",
    "features_dict",
    "yaml_list",
]

# Value dtypes -> pyarrow type factories (pyarrow is imported only where Arrow types are made: a build's workers
# make dataset rows with these feature types but never Arrow data, and pyarrow is ~30 MB a process)
_ARROW = {"string": "string", "int32": "int32", "int64": "int64", "float64": "float64", "bool": "bool_"}


@dataclass(frozen=True)
class Value:
    dtype: str  # one of the keys of _ARROW


@dataclass(frozen=True)
class ClassLabel:
    names: tuple[str, ...]

    def __init__(self, names: list[str] | tuple[str, ...]):
        object.__setattr__(self, "names", tuple(names))


@dataclass(frozen=True)
class List:
    feature: Feature


Feature = Union[Value, ClassLabel, List, Mapping[str, "Feature"]]  # noqa: UP007 (a runtime alias)


def arrow_type(feature: Feature) -> pa.DataType:
    import pyarrow as pa

    if isinstance(feature, Value):
        return getattr(pa, _ARROW[feature.dtype])()
    if isinstance(feature, ClassLabel):
        return pa.int64()
    if isinstance(feature, List):
        return pa.list_(arrow_type(feature.feature))
    return pa.struct([pa.field(name, arrow_type(f)) for name, f in feature.items()])


def _to_dict(feature: Feature) -> dict:
    if isinstance(feature, Value):
        return {"dtype": feature.dtype, "_type": "Value"}
    if isinstance(feature, ClassLabel):
        return {"names": list(feature.names), "_type": "ClassLabel"}
    if isinstance(feature, List):
        return {"feature": _to_dict(feature.feature), "_type": "List"}
    return {name: _to_dict(f) for name, f in feature.items()}


def features_dict(features: Mapping[str, Feature]) -> dict:
    """``Features.to_dict()``: the JSON form kept in the parquet schema metadata."""
    return _to_dict(features)


def arrow_schema(features: Mapping[str, Feature]) -> pa.Schema:
    """``Features.arrow_schema``: the columns, with the features as JSON under the ``huggingface`` key."""
    import pyarrow as pa

    metadata = {"huggingface": json.dumps({"info": {"features": features_dict(features)}})}
    return pa.schema([pa.field(name, arrow_type(f)) for name, f in features.items()], metadata=metadata)


def _yaml(feature: Feature) -> dict:
    if isinstance(feature, Value):
        return {"dtype": feature.dtype}
    if isinstance(feature, ClassLabel):
        return {"dtype": {"class_label": {"names": {str(i): name for i, name in enumerate(feature.names)}}}}
    if isinstance(feature, List):
        inner: Any = _yaml(feature.feature)
        # A list of a plain type or of a struct is written without the inner key.
        if list(inner) in (["dtype"], ["struct"]):
            inner = next(iter(inner.values()))
        return {"list": inner}
    return {"struct": yaml_list(feature)}


def yaml_list(features: Mapping[str, Feature]) -> list[dict]:
    """``Features._to_yaml_list()``: the card's form of the features."""
    return [{"name": name, **_yaml(f)} for name, f in features.items()]


def dataset_info_yaml(
    features: Mapping[str, Mapping[str, Feature]], configs: Mapping[str, Mapping[str, SplitFiles]]
) -> list[dict]:
    """The card's ``dataset_info``: one entry per config, in name order (always several configs here)."""
    out = []
    for name in sorted(configs):
        splits = configs[name]
        out.append(
            {
                "config_name": name,
                "features": yaml_list(features[name]),
                "splits": [{"name": s, "num_bytes": f.num_bytes, "num_examples": f.rows} for s, f in splits.items()],
                "dataset_size": sum(f.num_bytes for f in splits.values()),
            }
        )
    return out


def configs_yaml(configs: Mapping[str, list[dict]]) -> list[dict]:
    """The card's ``configs``: ``{config_name, **metadata}`` in name order."""
    return [{"config_name": name, **configs[name]} for name in sorted(configs)]
