"""``qabot eval``: answer quality measured through the library API.

- ``datasets``: QA files (dev.jsonl form), BEIR folders, SQuAD files;
- ``metrics``: hit@k, MRR, highlight@1, abstention; nDCG@10 and Recall@100;
- ``reports``: the report models and the tables the CLI prints;
- ``runs``: ``evaluate_file``, ``evaluate_beir``, ``evaluate_squad``, over one index per corpus.
"""

from __future__ import annotations

from qabot.eval.datasets import EvalItem, load_items, read_qrels, read_queries, squad_items
from qabot.eval.metrics import contains, ndcg_at, recall_at, summarise
from qabot.eval.reports import BeirReport, Calibration, ItemResult, QAReport, calibration_table, table
from qabot.eval.runs import bots, evaluate_beir, evaluate_file, evaluate_items, evaluate_squad

__all__ = [
    "BeirReport",
    "Calibration",
    "EvalItem",
    "ItemResult",
    "QAReport",
    "bots",
    "calibration_table",
    "contains",
    "evaluate_beir",
    "evaluate_file",
    "evaluate_items",
    "evaluate_squad",
    "load_items",
    "ndcg_at",
    "read_qrels",
    "read_queries",
    "recall_at",
    "squad_items",
    "summarise",
    "table",
]
