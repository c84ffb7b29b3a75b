# `make run` and `make test` are the two commands README.md opens with.
.PHONY: setup run test lint

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/flask --app app demo --if-empty
	.venv/bin/flask --app app run

test: setup
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
