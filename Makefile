# qabot: `make run` and `make test` each set up .venv from scratch on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
QUESTION ?= Who killed Trotsky?
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run index check test test-fast test-slow eval bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned. The CPU wheel where pip's indexes offer it: PyPI alone gives Linux the multi-GB CUDA
	# build (README, Quick start: PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu).
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	# onnx: the int8 backend and its tests; bench: the txtai peer of `qabot bench --peer`;
	# milvus: the Milvus engine and Milvus Lite, which its tests run against.
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,onnx,bench,milvus]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

index: install
	$(BIN)/qabot index

# After the sample answer, the terminal chat; only when a person is at the keyboard, so a
# scripted or CI `make run` still ends by itself.
# The question goes through the environment, not pasted into the shell line: a question that quotes code
# (`make install`) or a "word" is asked as typed.
run: export QUESTION := $(QUESTION)
run: install
	$(BIN)/qabot index
	$(BIN)/qabot ask "$$QUESTION"
	@if [ -t 0 ] && [ -t 1 ]; then $(BIN)/qabot repl; fi

# Lint: ruff (pinned in the dev extra) fails the build on any finding.
check: install
	$(BIN)/ruff check .

# Lint, then the suite: the fast tier (fake embedder) and the real-model tier, in TEST_WORKERS processes
# (pytest-xdist; a test file's tests stay in one, so its module fixtures are built once). TEST_WORKERS=0: one process.
# A test that fails is run once more (pytest-rerunfailures): a pass then shows as "R", named in the rerun summary (-raR),
# and in its "rerun" count: a flaky test to fix (README, "Development"), not a broken build. TEST_RERUNS=0: none.
TEST_WORKERS ?= 2
TEST_RERUNS ?= 1
test: check
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --reruns $(TEST_RERUNS)

# Only the fast tier: no test here loads the model (tests/conftest.py enforces it).
test-fast: check
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --reruns $(TEST_RERUNS) -m "not model and not slow"

test-slow: install
	$(BIN)/python -m pytest -q -m slow

# Speed against the model's own cost (docs/performance.md). BENCH_ARGS="--peer --scale 1000000" for all of it.
bench: install
	$(BIN)/qabot bench $(BENCH_ARGS)

# What make and qabot built: .venv, and all the index folder holds but its README (the index, the embedding cache, the
# ONNX export, eval/'s indexes, Milvus Lite's milvus.db, the lock). Not a state folder: its answers, votes and learnt
# history are no build, and nothing brings them back (README, Quick start). It may lie anywhere in embeddings/ (the
# index a folder of it, QABOT_INDEX_DIR=embeddings/docs: qabot-state beside it; or QABOT_STATE_DIR=embeddings/state),
# under any name: a folder named qabot-state, or holding a state database (qabot.sqlite3) or its salt, is kept whole
# (embeddings/ itself too: QABOT_STATE_DIR=embeddings keeps its database beside the index).
# Files go first, then the folders left empty (rmdir: never one that still holds a state folder). -H: embeddings may
# be a link to a folder on another disk.
clean:
	rm -rf $(VENV)
	if [ -d embeddings ]; then \
		find -H embeddings -mindepth 1 \( -name qabot-state -o -type d \( -exec test -e {}/qabot.sqlite3 \; \
			-o -exec test -e {}/salt \; \) \) -prune -o ! -type d ! -path embeddings/README.md \
			! -path 'embeddings/qabot.sqlite3*' ! -path embeddings/salt -exec rm -f {} + && \
		{ find -H embeddings -mindepth 1 -depth -type d ! -name qabot-state -exec rmdir {} + 2>/dev/null || true; }; fi
