# Luna Voice. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/user-app/node_modules/.bin:$(PATH)
APP := user-app
PROTOS := $(shell find proto -name '*.proto' | sort)

.PHONY: run test setup system-deps proto check-proto lint pytest seed bench clean test-app

run: setup seed
	$(BIN)/luna stack

# Loads the demo city into the database (var/luna.db unless DATABASE_URL is set) on first use only.
seed: setup
	$(BIN)/luna seed --if-empty

test: setup lint pytest test-app

setup: system-deps $(VENV)/.installed $(APP)/node_modules/.installed $(APP)/.next/BUILD_ID

system-deps:
	@scripts/ensure_system_packages.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip==26.3
	$(VENV)/bin/python -m pip install -q -c constraints.txt -r requirements-dev.txt
	$(VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(APP)/node_modules/.installed: $(APP)/package.json $(APP)/package-lock.json
	cd $(APP) && npm ci --no-audit --no-fund
	touch $@

# The production build `luna stack` serves (next start); rebuilt when the app's sources change.
$(APP)/.next/BUILD_ID: $(APP)/node_modules/.installed $(shell find $(APP)/src $(APP)/public -type f) \
  $(APP)/next.config.ts $(APP)/tsconfig.json
	cd $(APP) && NEXT_TELEMETRY_DISABLED=1 next build

# The app: Vitest unit tests, then Chromium end to end against the real stack (screenshots in artifacts/e2e/).
test-app: setup
	cd $(APP) && vitest run
	cd $(APP) && node --test --test-concurrency=1 e2e/

# Generated code is committed; `make proto` regenerates it, check-proto fails when it is stale.
proto:
	$(VENV)/bin/python -m grpc_tools.protoc -Iproto --python_out=gen/python --grpc_python_out=gen/python \
	  --mypy_out=gen/python $(PROTOS)
	buf generate

check-proto:
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/py $$tmp/ts && \
	$(VENV)/bin/python -m grpc_tools.protoc -Iproto --python_out=$$tmp/py --grpc_python_out=$$tmp/py \
	  --mypy_out=$$tmp/py $(PROTOS) && \
	buf generate --output $$tmp/ts --template '{"version":"v2","plugins":[{"local":"$(APP)/node_modules/.bin/protoc-gen-es","out":".","opt":["target=ts"]}]}' proto && \
	diff -r -x __init__.py -x __pycache__ -x py.typed $$tmp/py/luna gen/python/luna && \
	diff -r $$tmp/ts/luna $(APP)/src/gen/luna && rm -rf $$tmp && echo "generated code is up to date" || \
	{ echo "generated code is stale: run 'make proto' and commit"; rm -rf $$tmp; exit 1; }

lint:
	$(BIN)/ruff check .
	$(BIN)/mypy .
	buf lint
	$(MAKE) --no-print-directory check-proto

pytest:
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) $(APP)/node_modules var
