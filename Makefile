# Thin wrapper over CMake/ctest. The two commands a newcomer needs:
#   make demo    install what is missing, build, run the default green-zone scenario
#   make check   install what is missing, build (warnings as errors), run every test,
#                then build again under ASan+UBSan and run every test there too
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   ?= build
ASAN    ?= build-asan
FUZZDIR ?= build-fuzz
DEMO_ARGS ?=

.PHONY: all deps deps-check build demo check test asan bench bench-serve fuzz fuzz-smoke clean

all: build

deps:
	@bash scripts/install-deps.sh build

deps-check:
	@bash scripts/install-deps.sh check

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOKOUT_WERROR=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/lookout demo $(DEMO_ARGS)

test: deps-check $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DLOOKOUT_WERROR=ON -DLOOKOUT_SANITIZE=ON

asan: deps-check $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE "nosan|long"

# Every libFuzzer harness: replay its seed corpus (and the small real recordings in
# ../shared), then fuzz FUZZ_SMOKE_S seconds from a temporary copy (tests/fuzz_smoke.sh).
FUZZ_SMOKE_S ?= 20
fuzz-smoke: deps-check $(FUZZDIR)/CMakeCache.txt
	cmake --build $(FUZZDIR) -j $(JOBS)
	bash tests/fuzz_smoke.sh $(FUZZDIR) $(FUZZ_SMOKE_S)

check: test asan fuzz-smoke

bench: build
	@for b in $(BUILD)/bench/bench_*; do echo "== $$b"; $$b || exit 1; done

# The live service's load test (issue 7): 10,000 targets replayed in real time into serve with a
# display connected, three runs (bench/load_serve.sh says what it prints; RUNS=, WS=0 ...).
bench-serve: build
	bash bench/load_serve.sh $(BUILD) 60

$(FUZZDIR)/CMakeCache.txt:
	CC=clang cmake -S . -B $(FUZZDIR) -DCMAKE_BUILD_TYPE=Debug -DLOOKOUT_FUZZ=ON -DLOOKOUT_WERROR=ON

fuzz: deps-check $(FUZZDIR)/CMakeCache.txt
	cmake --build $(FUZZDIR) -j $(JOBS)
	@for f in $(FUZZDIR)/fuzz/fuzz_*; do echo "== $$f (10 minutes)"; \
	  n=$$(basename $$f); mkdir -p fuzz/corpus/$$n; \
	  $$f -max_total_time=600 fuzz/corpus/$$n || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZDIR)
