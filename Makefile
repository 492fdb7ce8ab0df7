# Stackyard: `make quickstart` runs a server, an agent and ZooKeeper on this host;
# `make test` installs what the tests need and runs them.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the quick start and the tests use.
DEBIAN_RUNTIME := zookeeper
DEBIAN_TEST := zookeeper prometheus prometheus-node-exporter mariadb-server chromium iproute2 postgresql procps

.PHONY: quickstart stop venv install install-test debian-runtime debian-test test test-fast lint proto bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

debian-runtime:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	missing=$$(for p in $(DEBIAN_RUNTIME); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; fi

debian-test:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	missing=$$(for p in $(DEBIAN_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; fi

quickstart: install
	$(BIN)/stackyard quickstart

stop:
	$(BIN)/stackyard quickstart --stop

test: install-test debian-test
	$(BIN)/pytest -q -ra

test-fast: install-test
	$(BIN)/pytest -q -ra -m "not e2e and not ui and not netns"

lint: install-test
	$(BIN)/ruff check controlplane agent stackyard tests bench

proto: install-test
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. proto/stackyard/v1/agent.proto

bench: install-test
	$(BIN)/python bench/job_overhead.py
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) build *.egg-info
