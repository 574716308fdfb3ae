# station-agent: `make run` and `make test` do everything on a fresh Debian 12 box.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests need. umockdev is for the device tests only.
APT_PACKAGES := pkg-config libusb-1.0-0-dev libudev-dev libsqlite3-dev tzdata umockdev libumockdev-dev
# `make run` keeps its data here, so it needs no root and no configuration file.
DATA_DIR ?= $(CURDIR)/data
# Swift Testing runs tests in parallel; device tests take turns on the one umockdev test bed.
TEST_FLAGS ?=

.PHONY: all deps build release run test test-debug test-release clean

all: build

## deps: install the Debian packages the project needs (as root, or through sudo), if missing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift is not installed: install the Swift 6 toolchain (swift.org) and put it on PATH"; exit 1; }

build: deps
	$(SWIFT) build --product station-agent

release: deps
	$(SWIFT) build -c release --product station-agent

## run: start the agent on its built-in defaults, data in ./data (Ctrl-C stops it cleanly).
run: build
	@mkdir -p $(DATA_DIR)
	STATION_AGENT_DATA_DIR=$(DATA_DIR) STATION_AGENT_CONFIG=$${STATION_AGENT_CONFIG:-} $$($(SWIFT) build --show-bin-path)/station-agent run

## test: every test, device tests included (under the umockdev preload), in debug and release builds.
test: test-debug test-release

test-debug: deps
	$(SWIFT) build --build-tests
	STATION_AGENT_REQUIRE_DEVICE_TESTS=1 umockdev-wrapper $(SWIFT) test --skip-build $(TEST_FLAGS)

test-release: deps
	$(SWIFT) build -c release --build-tests
	STATION_AGENT_REQUIRE_DEVICE_TESTS=1 umockdev-wrapper $(SWIFT) test -c release --skip-build $(TEST_FLAGS)

clean:
	rm -rf .build
