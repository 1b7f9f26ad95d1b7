"""``qabot bench``: what qabot costs on top of the model it cannot avoid running.

On a CPU the embedding model is the floor: one forward pass per question, one per
passage at indexing time. Every figure is therefore measured beside its floor, in the
same process and the same run, and quoted as a ratio (see ``phases``); ``--peer`` adds
txtai's hybrid ``Embeddings`` on the same model (``peer``), and ``--scale N`` builds N
synthetic passages through the same build code (``scale``, ``synthetic``), and
``--formats DIR`` the readers' speed and their share of a PDF build (``reading``).

Each figure is the median of ``--runs`` repetitions; machines are noisy, so the load
average and the CPU time stolen by the hypervisor during the run are reported too
(``probes``). Results are pydantic models (``report``) printed as tables (``table``).
Timings live here, never in the tests.
"""

from __future__ import annotations

from qabot.bench.report import BenchReport
from qabot.bench.run import backends_to_measure, run, run_formats_only, run_scale_only
from qabot.bench.table import table

__all__ = ["BenchReport", "backends_to_measure", "run", "run_formats_only", "run_scale_only", "table"]
