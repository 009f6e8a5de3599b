# Targets: setup, run, test, train, validate, lint, cross-validate, bench, load, load-cluster, faults, demo, clean.
# `make run` and `make test` do all set-up on a fresh machine.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_STAMP := models/.trained
NLU_INPUTS := config.yml domain.yml $(wildcard data/nlu/*.yml) $(wildcard data/*.yml) $(wildcard data/jieba/*) bot/text.py bot/nlu/normalizer.py bot/nlu/entities.py bot/nlu/linear.py bot/nlu/linear_component.py bot/questions.py bot/regional.py
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: setup run test train validate lint cross-validate bench load load-cluster faults clean system demo

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock scripts/setup-venv.sh
	scripts/setup-venv.sh

# Trains only when the NLU data, config or our components changed since the last model
# (a re-installed venv alone does not retrain: it is an order-only prerequisite).
$(MODEL_STAMP): $(NLU_INPUTS) | $(STAMP)
	$(BIN)/bot train

train: $(MODEL_STAMP)

run: $(MODEL_STAMP)
	$(BIN)/bot serve

system:
	scripts/ensure-system.sh

test: $(MODEL_STAMP) system
	$(BIN)/bot faq check data/faq
	$(BIN)/bot canned check data/canned
	$(BIN)/rasa data validate --data data/nlu data/rules.yml --fail-on-warnings
	$(BIN)/python -m pytest

validate: $(STAMP)
	$(BIN)/rasa data validate --data data/nlu data/rules.yml --fail-on-warnings
	$(BIN)/bot faq check data/faq
	$(BIN)/bot canned check data/canned

lint: $(STAMP)
	$(BIN)/ruff check bot actions tests scripts

cross-validate: $(STAMP)
	$(BIN)/rasa test nlu --cross-validation --folds 5 --config config.yml --nlu data/nlu --domain domain.yml --out results

# Every figure of the speed issue in one run: training, FAQ retrieval, batch triage (whole process,
# one process, naive loop), live p95 at 20 in flight and at a steady 100 DMs a second (with cold start
# and each process's resident memory after the run).
bench: $(MODEL_STAMP)
	$(BIN)/python scripts/bench_train.py
	$(BIN)/python scripts/bench_faq.py
	$(BIN)/python scripts/bench_triage.py
	$(BIN)/python scripts/load_weibo.py --messages 1000 --in-flight 20
	$(BIN)/python scripts/load_weibo.py --messages 2000 --rate 100
	$(BIN)/python scripts/eval_retrieval.py ../shared/eval/dev.jsonl

# A month of demo traffic in var/demo (an empty database of its own) and its report.
demo: $(MODEL_STAMP)
	rm -rf var/demo
	BOT_DATA_DIR=var/demo $(BIN)/bot demo seed --days 30
	BOT_DATA_DIR=var/demo $(BIN)/bot report --days 30 -o var/demo/report.html

load: $(MODEL_STAMP)
	$(BIN)/python scripts/load_weibo.py --messages 1000 --in-flight 20
	$(BIN)/python scripts/load_weibo.py --messages 900 --rate 30

# 10,000 DMs and 2,000 comments through HAProxy, to 1 and then 2 replicas on PostgreSQL and Redis,
# one of the 2 killed with SIGKILL mid-stream (the test suite runs a smaller version of it).
load-cluster: $(MODEL_STAMP) system
	$(BIN)/python scripts/load_cluster.py --replicas 1,2 --dms 10000 --comments 2000 --rate 50 --kill

faults: $(MODEL_STAMP)
	$(BIN)/python scripts/fault_injection.py --dms 1000 --comments 300

clean:
	rm -rf models results .pytest_cache
