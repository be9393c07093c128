# The set-up commands of the README: `make serve`, `make test` and the fast loop `make check`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SERVICE_URL := http://127.0.0.1:8081

.PHONY: serve scaleout test check lint bench benchdeps soak faults mutation install sysdeps postgres clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Migrate, load the demo data into an empty database, start the service (8081), the platform (8080),
# the staff web (8082) and the 1177 stand-in (8083), both with the development logins of the demo,
# and (development only) the engagement index (8084), the journal system's subscriber (8085),
# an SMS gateway (8086) and the population register (8087), the service pushing to the index,
# sending patients' notices to the gateway and asking the register about protected identity.
serve: $(STAMP)
	$(BIN)/eph db upgrade
	$(BIN)/eph seed-demo --if-empty
	EPH_PROFILE=development EPH_STAFF_DEV_LOGIN=1 EPH_CITIZEN_WEB_DEV_LOGIN=1 $(BIN)/eph serve all

# System packages the test suite uses: three non-Python SOAP stacks, PHP's SoapClient, JAX-WS RI
# (wsimport) on Java 17 and gSOAP (wsdl2h, soapcpp2, libgsoap++ and g++ for its C++ client);
# Debian's Chromium (with its Swedish locale, and a font) for the browser tests;
# HAProxy for the scale-out tests, and wrk with it for the benchmark's own test.
SYSDEPS := php-cli php-soap jaxws openjdk-17-jdk-headless gsoap libgsoap-dev g++ \
	chromium chromium-l10n fonts-dejavu-core wrk haproxy
sysdeps:
	@if ! command -v php >/dev/null 2>&1 || ! php -m 2>/dev/null | grep -qi '^soap$$' \
		|| ! command -v wsimport >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1 \
		|| ! test -f /usr/share/java/jaxws-rt.jar || ! command -v wsdl2h >/dev/null 2>&1 \
		|| ! command -v soapcpp2 >/dev/null 2>&1 || ! test -d /usr/share/gsoap/import \
		|| ! test -f /usr/include/stdsoap2.h || ! command -v g++ >/dev/null 2>&1 \
		|| ! test -x /usr/bin/chromium \
		|| ! test -f /usr/lib/chromium/locales/sv.pak \
		|| ! test -d /usr/share/fonts/truetype/dejavu \
		|| ! command -v wrk >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1; then \
		echo "installing $(SYSDEPS)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null); \
	fi

# The local PostgreSQL cluster, started when it is down (Debian's pg_ctlcluster).
postgres:
	@if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		for v in $$(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect $$v main start || true; done; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

# Everything, as CI runs it: the service tests on PostgreSQL as well as SQLite (EPH_TEST_POSTGRES=1,
# tests/conftest.py); a PostgreSQL that cannot be reached fails its tests.
test: $(STAMP) sysdeps postgres
	$(BIN)/ruff check .
	$(BIN)/mypy contracts service_domain producers routing consumers eph staff_web tools
	EPH_TEST_POSTGRES=1 $(BIN)/pytest -q

# The fast loop: lint, types, and the unit, service and contract tests on SQLite. It needs the
# virtualenv only: no system package (the tests marked sysdeps are left out) and no database
# server (EPH_TEST_POSTGRES is cleared, so the service tests do not take PostgreSQL).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy contracts service_domain producers routing consumers eph staff_web tools
	EPH_TEST_POSTGRES= $(BIN)/pytest -q -m "not sysdeps and not postgres" tests/unit tests/service tests/contract

# The real service and the platform measured in one run (docs/performance.md): JSON in
# bench-results/, the tables into docs/performance.md, a chart per case into docs/bench/.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

benchdeps:
	@if ! command -v wrk >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1; then \
		echo "installing wrk haproxy"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy >/dev/null); \
	fi

BENCH_ARGS ?=
bench: $(BENCH_STAMP) benchdeps postgres
	$(BIN)/python -m tools.bench.run --docs $(BENCH_ARGS)

# Two service and two platform nodes on one PostgreSQL database behind HAProxy (docs/scaleout.md):
# systems call http://127.0.0.1:8180, the platform nodes reach the service at https://127.0.0.1:8181.
SCALEOUT_DB ?= eph_scaleout
SCALEOUT_ARGS ?=
scaleout: $(STAMP) benchdeps postgres
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(SCALEOUT_DB)'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres $(SCALEOUT_DB)
	EPH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$(SCALEOUT_DB) $(BIN)/python -m tools.scaleout $(SCALEOUT_ARGS)

# A long mixed load through the platform at a fixed rate (docs/soak.md): 10 minutes at 200 calls/s
# unless SOAK_ARGS says otherwise (SOAK_ARGS="--minutes 1"); JSON and Markdown in bench-results/,
# the section and a p99 chart into docs/. The load is Python (every call's outcome is kept): no wrk.
SOAK_ARGS ?=
soak: $(BENCH_STAMP) postgres
	$(BIN)/python -m tools.bench.soak --docs $(SOAK_ARGS)

# Faults under that load (docs/soak.md): a service worker killed, the database restarted (a
# PostgreSQL cluster of the run's own, never the shared one), then every write accounted for.
FAULTS_ARGS ?=
faults: $(BENCH_STAMP)
	$(BIN)/python -m tools.bench.faults --docs $(FAULTS_ARGS)

# Mutation testing of the rule modules against the fast tests (docs/mutation.md); not part of
# `make test`, as it takes long. MUTATION_ARGS, e.g. `--reuse`, `--tables-only access`, `--jobs 1`.
MUTATION_STAMP := $(VENV)/.mutation-stamp
$(MUTATION_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

MUTATION_ARGS ?=
mutation: $(MUTATION_STAMP)
	$(BIN)/python -m tools.mutation.run $(MUTATION_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy contracts service_domain producers routing consumers eph staff_web tools

clean:
	rm -rf $(VENV) var build *.egg-info
