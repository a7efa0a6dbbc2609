# Throughcare build. `make run` builds everything (front-end assets included)
# and serves the demo directory on http://localhost:8080; `make test` runs
# every test. See README.md.

GO        ?= go
ADDR      ?= :8080
DB        ?= sqlite:./data/throughcare.db
TESTFLAGS ?=
BENCHTIME ?= 1x
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

include build/assets.mk

.PHONY: all build run test lint bench clean

all: build

## build: compile bin/throughcare with the web assets embedded
build: assets
	$(GO) build -o bin/throughcare ./cmd/throughcare

## run: build, then load the demo directory into $(DB) and serve it on $(ADDR)
run: build
	./bin/throughcare demo --db $(DB) --addr $(ADDR)

## test: every test (PostgreSQL ones run when THROUGHCARE_TEST_POSTGRES is set)
test: assets
	$(GO) test -count=1 $(TESTFLAGS) ./...

## lint: formatting, go vet and staticcheck
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

## bench: the Go benchmarks (import, paging, search), then the HTTP load comparison
bench: assets
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

clean:
	rm -rf bin
