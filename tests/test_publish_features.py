"""The configs' types are spelt without importing `datasets`, in exactly the forms `datasets` writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter

import pyarrow as pa
import pytest
from conftest import documents, write_documents

from corpus.publish import build_dataset
from corpus.publish.dataset import config_features
from corpus.publish.features import ClassLabel, List, Value, arrow_schema, dataset_info_yaml, yaml_list

datasets = pytest.importorskip("datasets")


def _as_datasets(feature):
    """The same type built with `datasets` itself."""
    if isinstance(feature, Value):
        return datasets.Value(feature.dtype)
    if isinstance(feature, ClassLabel):
        return datasets.ClassLabel(names=list(feature.names))
    if isinstance(feature, List):
        return datasets.List(_as_datasets(feature.feature))
    return {name: _as_datasets(f) for name, f in feature.items()}


@pytest.mark.parametrize("gold", [False, True])
def test_schema_and_yaml_are_the_ones_datasets_writes(gold: bool) -> None:
    for name, features in config_features(gold=gold).items():
        theirs = datasets.Features(_as_datasets(features))
        ours = arrow_schema(features)
        assert ours.equals(theirs.arrow_schema, check_metadata=True), name
        assert ours.metadata == theirs.arrow_schema.metadata, name
        assert yaml_list(features) == theirs._to_yaml_list(), name
        assert datasets.Features.from_arrow_schema(ours) == theirs, name


def test_nested_types_not_used_by_the_configs_yet() -> None:
    features = {
        "labels": ClassLabel(["a", "b"]),
        "nested": List(List(Value("int64"))),
        "struct": {"flag": Value("bool"), "tags": List(ClassLabel(["x"]))},
    }
    theirs = datasets.Features(_as_datasets(features))
    assert arrow_schema(features).equals(theirs.arrow_schema, check_metadata=True)
    assert yaml_list(features) == theirs._to_yaml_list()


@pytest.mark.parametrize("names", [["documents", "entities", "claims"], ["documents"]])
def test_card_yaml_entries_are_the_ones_datasets_writes(names: list[str]) -> None:
    from huggingface_hub import DatasetCardData

    from corpus.publish.card import CardInputs, card_data
    from corpus.publish.dataset import SplitFiles, Stats

    features = config_features()
    configs = {
        name: {"train": SplitFiles(rows=3 + i, num_bytes=100 * i + 7), "test": SplitFiles(rows=1, num_bytes=9)}
        for i, name in enumerate(names)
    }
    licences = {"by_licence": [{"hub_id": "cc-by-4.0", "articles": 2}]}
    ours = card_data(
        CardInputs(
            stats=Stats(documents=Counter(train=2)),
            configs=configs,
            features=features,
            licences=licences,
            ratios={"train": 1.0},
        )
    )
    # As the card was written before: datasets' own MetadataConfigs and DatasetInfosDict.
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    theirs = DatasetCardData()
    MetadataConfigs(
        {
            name: ({"default": True} if name == "documents" else {})
            | {"data_files": [{"split": s, "path": f"{name}/{s}-*.parquet"} for s in splits]}
            for name, splits in configs.items()
        }
    ).to_dataset_card_data(theirs)
    infos = {
        name: datasets.DatasetInfo(
            features=datasets.Features(_as_datasets(features[name])),
            splits=datasets.SplitDict(
                {s: datasets.SplitInfo(name=s, num_bytes=f.num_bytes, num_examples=f.rows) for s, f in splits.items()}
            ),
            dataset_size=sum(f.num_bytes for f in splits.values()),
        )
        for name, splits in configs.items()
    }
    DatasetInfosDict(infos).to_dataset_card_data(theirs)
    assert ours.to_dict()["configs"] == theirs.to_dict()["configs"]
    assert ours.to_dict()["dataset_info"] == theirs.to_dict()["dataset_info"]
    assert ours.to_yaml().split("configs:")[1] == theirs.to_yaml().split("configs:")[1]
    assert dataset_info_yaml(features, configs)[0]["config_name"] == sorted(names)[0]


def test_publishing_does_not_import_datasets(tmp_path) -> None:
    docs = write_documents(tmp_path, documents())
    script = textwrap.dedent(
        f"""
        import sys
        from corpus.publish import build_dataset
        summary = build_dataset({str(docs)!r}, {str(tmp_path / "dataset")!r}, split_ratios="1,0,0")
        assert summary["documents"] == 2, summary
        print("datasets" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
    loaded = datasets.load_dataset(str(tmp_path / "dataset"), "claims", split="train")
    assert loaded.features["checkworthy"].names == ["NOT_CHECKWORTHY", "CHECKWORTHY"]
    assert len(loaded) == 3


def test_trusted_documents_give_the_same_dataset(tmp_path) -> None:
    """`corpus build` passes `trusted=True` for the documents it wrote itself: same bytes, a broken line reported."""
    docs = write_documents(tmp_path, documents())
    checked, trusted = tmp_path / "a" / "dataset", tmp_path / "b" / "dataset"
    build_dataset(docs, checked)
    build_dataset(docs, trusted, trusted=True)
    files = sorted(p.relative_to(checked) for p in checked.rglob("*") if p.is_file())
    assert len(files) > 4
    assert [(checked / f).read_bytes() for f in files] == [(trusted / f).read_bytes() for f in files]
    with docs.open("a", encoding="utf-8") as fh:
        fh.write('{"not": "a document"}\n[1, 2]\n')
    problems: list = []
    summary = build_dataset(docs, tmp_path / "again", report=problems.append, trusted=True)
    assert summary["documents"] == 2
    assert [(p.line, p.severity) for p in problems if "not a document record" in p.message] == [
        (3, "error"),
        (4, "error"),
    ]


def _span_type() -> pa.DataType:
    return pa.struct([("id", pa.string()), ("start", pa.int32()), ("score", pa.float64()), ("ok", pa.bool_())])


@pytest.mark.parametrize(
    ("values", "type_"),
    [
        ([], pa.string()),
        (["a", None, "\U0001f30a é"], pa.string()),
        ([1, None, -3], pa.int32()),
        ([2**40, 0], pa.int64()),
        ([1.5, None, 0.1], pa.float64()),
        ([True, False, None] * 4, pa.bool_()),
        ([["a", "b"], [], None, ["c"]], pa.list_(pa.string())),
        ([[[1, 2], []], [], [[3]]], pa.list_(pa.list_(pa.int32()))),
        ([{"id": "x", "start": 1, "score": None, "ok": True}, None, {}], _span_type()),
        ([[{"id": "x", "start": 1, "score": 0.5, "ok": False}], [], None, [{"id": None}]], pa.list_(_span_type())),
        ([("x", 1, None, True), ("y", 2, 0.5, False)], _span_type()),  # tuples: fields in order, as pa.array
        ([[(1, 2), (3, 5)], [], [(7, 9)]], pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32())]))),
    ],
)
def test_column_array_equals_pa_array(values: list, type_: pa.DataType) -> None:
    """Built from buffers, the same array `pa.array` makes: values, validity buffers and `nbytes` (the card's
    sizes), so the parquet bytes do not change."""
    from corpus.publish.arrow import column_array

    ours, theirs = column_array(values, type_), pa.array(values, type=type_)
    ours.validate(full=True)
    assert ours.equals(theirs)
    assert ours.nbytes == theirs.nbytes
    assert [b is None for b in ours.buffers()] == [b is None for b in theirs.buffers()]


def test_building_a_dataset_does_not_import_pandas(tmp_path) -> None:
    """pyarrow imports pandas when `pa.array` meets a Python list (~40 MB of the dataset phase's peak)."""
    path = write_documents(tmp_path, documents())
    script = f"""
        import sys
        from corpus.publish import build_dataset
        build_dataset({str(path)!r}, {str(tmp_path / "ds")!r})
        assert "pandas" not in sys.modules, "pandas imported"
    """
    subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=True, timeout=120)
