"""The pipeline: a list of stages streaming document records, run on shards in this process or a worker pool.

ingest (read articles) -> stream stages (exact, near duplicates) -> shards -> document stages (segment,
entities, sources, claims) -> tasks and dataset (:mod:`corpus.build`). Every stage follows one protocol
(:class:`~corpus.pipeline.stages.Stage`: ``name``, ``version``, ``run(docs)`` generator, as in datatrove), so
the build, the per-stage commands and the datatrove engine run the same list. Shards come back in input order,
as JSON Lines bytes, so the output is byte-identical whatever the number of workers or the engine.

- :mod:`corpus.pipeline.stages`: the protocol and the stages;
- :mod:`corpus.pipeline.processor`: :class:`ProcessorConfig` (which document stages) and
  :class:`DocumentProcessor` (runs them over a shard, one bad document left out);
- :mod:`corpus.pipeline.shards` and :mod:`corpus.pipeline.workers`: sharding and the worker pool;
- :mod:`corpus.pipeline.records`: run statistics and records read back from JSON Lines.
"""

from corpus.pipeline.processor import DocumentProcessor, Failed, ProcessorConfig, run_isolated
from corpus.pipeline.records import (
    Stats,
    read_document_records,
    read_numbered_document_records,
    task_record,
    with_record_defaults,
)
from corpus.pipeline.shards import (
    SHARD_MAX_CHARS,
    SHARD_MAX_DOCS,
    SHARD_TARGET,
    RenderSpec,
    ShardResult,
    quiet_gc,
    render_shard,
    shard_documents,
)
from corpus.pipeline.stages import (
    DOCUMENT_STAGES,
    STAGE_FACTORIES,
    ExactDuplicates,
    LabelStage,
    NearDuplicates,
    SegmentStage,
    Stage,
    document_stages,
    drop_exact_duplicates,
    flag_near_duplicates_stage,
    ingest_stages,
    prelabel_stage,
    run_stages,
    segment_stage,
)
from corpus.pipeline.workers import WINDOW_PER_WORKER, map_shards, pool_context, process_documents

__all__ = [
    "DOCUMENT_STAGES",
    "SHARD_MAX_CHARS",
    "SHARD_MAX_DOCS",
    "SHARD_TARGET",
    "STAGE_FACTORIES",
    "WINDOW_PER_WORKER",
    "DocumentProcessor",
    "ExactDuplicates",
    "Failed",
    "LabelStage",
    "NearDuplicates",
    "ProcessorConfig",
    "RenderSpec",
    "SegmentStage",
    "ShardResult",
    "Stage",
    "Stats",
    "document_stages",
    "drop_exact_duplicates",
    "flag_near_duplicates_stage",
    "ingest_stages",
    "map_shards",
    "pool_context",
    "prelabel_stage",
    "process_documents",
    "quiet_gc",
    "read_document_records",
    "read_numbered_document_records",
    "render_shard",
    "run_isolated",
    "run_stages",
    "segment_stage",
    "shard_documents",
    "task_record",
    "with_record_defaults",
]
