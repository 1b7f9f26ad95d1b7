# qabot in a container: `qabot discord` by default, or any qabot command, on the CPU.
# Nothing is downloaded at run time: the model ships as a Python package. See
# "Run it as a service" in the README, and compose.yaml beside this file.
FROM python:3.11-slim-bookworm

# torch comes from the CPU wheels (a plain `pip install torch` pulls gigabytes of CUDA).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# The extras installed with qabot: onnx (the default int8 backend); add milvus for the Milvus engine.
ARG EXTRAS=onnx

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    QABOT_CORPUS_DIR=/data/corpus \
    QABOT_INDEX_DIR=/data/index \
    QABOT_STATE_DIR=/data/state

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY qabot ./qabot
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -c constraints.txt torch==2.13.0 \
    && pip install -c constraints.txt ".[${EXTRAS}]" \
    && useradd --system --uid 10001 --create-home --home-dir /home/qabot qabot \
    && mkdir -p /data/corpus /data/index /data/state \
    && chown -R qabot:qabot /data

USER 10001
# .env is read from the working folder; in a container, settings usually come from the
# environment instead (compose.yaml's env_file).
WORKDIR /data
VOLUME ["/data/index", "/data/state"]
# The Prometheus endpoint, when QABOT_METRICS_PORT=9464 and QABOT_METRICS_ADDRESS=0.0.0.0.
EXPOSE 9464
ENTRYPOINT ["qabot"]
CMD ["discord"]
