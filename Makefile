# station-agent: `make run` and `make test` do everything on a fresh Debian 12 box.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests need. umockdev is for the device tests only; Swift (OpenStack's, with
# its S3 API), memcached, nginx-light and openssl are the real upload targets the store tests start on 127.0.0.1
# (Tests/Servers/stores). libasound2-dev is ALSA for the spoken verdicts; espeak-ng and sox render the prompts (make install), alsa-utils gives aplay to check a speaker. libuvc-dev streams USB cameras (the release device) through the agent's libusb context; libzxing-dev (ZXing-C++) reads the labels in a camera's frames and libjpeg62-turbo-dev decodes and writes their JPEGs (LabelDecoding). Chromium and the CJK fonts open the roll-up's page in a test; librsvg and zbar render and read the command cards. Not python3-swiftclient: its /usr/bin/swift would shadow the Swift toolchain.
APT_PACKAGES := pkg-config libusb-1.0-0-dev libudev-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev tzdata umockdev libumockdev-dev sqlite3 python3 faketime \
	libasound2-dev alsa-utils espeak-ng sox libuvc-dev \
	swift swift-proxy swift-object swift-container swift-account memcached nginx-light openssl \
	chromium fonts-noto-cjk librsvg2-bin zbar-tools \
	libzxing-dev libjpeg62-turbo-dev
# `make run` keeps its data here, so it needs no root and no configuration file.
DATA_DIR ?= $(CURDIR)/data
# One test at a time: the suite has device tests that take turns on the one umockdev test bed, and tests that
# start dozens of processes at once (parallel scans, SIGKILL loops); in parallel on two cores the device tests'
# one-minute limits and the full-disk tests' waits ran out while others held the CPU or Swift's two cooperative
# threads. Serially a whole debug run takes about 3.5 minutes here. TEST_FLAGS= runs them in parallel again.
TEST_FLAGS ?= --no-parallel
# A whole test run normally takes well under a minute; a hung test ends the run here, red and with its output,
# instead of running into the CI's own limit with nothing said.
TEST_TIMEOUT ?= 1500
RUN_TESTS = STATION_AGENT_REQUIRE_DEVICE_TESTS=1 timeout --kill-after=30 $(TEST_TIMEOUT) umockdev-wrapper
# The store servers of a test run: started before the tests, stopped by their PIDs after them, also when the tests
# fail or are interrupted (the trap). The tests find them through STATION_AGENT_STORES. Their folder is under
# .build on purpose: Swift needs a file system with user xattrs (ext4; /tmp may be a tmpfs without them).
STORES := Tests/Servers/stores
STORES_DIR ?= $(CURDIR)/.build/stores
WITH_STORES = $(STORES) start $(STORES_DIR) || exit 1; trap '$(STORES) stop $(STORES_DIR)' EXIT; trap 'exit 130' INT TERM; \
	export STATION_AGENT_STORES=$(STORES_DIR)/env;
# Each run's whole output is kept in .build/<target>.log. When a run fails, the lines that say why
# (failed tests, umockdev/GLib errors, crashes, the time limit) are said again at the end, where the
# tail of a CI log shows them, not above a crash report's registers and library list.
TEST_LOG = .build/$@.log
WHY_FAILED = { rc=$${PIPESTATUS[0]}; [ $$rc -eq 0 ] && exit 0; \
	echo "make: $@ failed (exit $$rc); what the run said about it (whole output: $(TEST_LOG)):" >&2; \
	grep -a -E '✘|ERROR \*\*|CRITICAL \*\*|Fatal error|crashed|unexpected signal' $(TEST_LOG) | tail -40 >&2; \
	[ $$rc -ne 124 ] || echo "make: the test run did not finish within $(TEST_TIMEOUT) s: a test hangs (the last test 'started' above and not 'passed'); TEST_TIMEOUT=seconds changes the limit" >&2; \
	exit $$rc; }

.PHONY: all deps build release run test test-debug test-release e2e bench clean

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
	$(WITH_STORES) $(RUN_TESTS) $(SWIFT) test --skip-build $(TEST_FLAGS) 2>&1 | tee $(TEST_LOG); $(WHY_FAILED)

test-release: deps
	$(SWIFT) build -c release --build-tests
	$(WITH_STORES) $(RUN_TESTS) $(SWIFT) test -c release --skip-build $(TEST_FLAGS) 2>&1 | tee $(TEST_LOG); $(WHY_FAILED)

## e2e: the real-kernel end-to-end test: a QEMU guest with Debian's kernel, udevd, dummy_hcd
## gadget scanners and the release-built agent as the station-agent user (see e2e/README.md).
e2e: deps
	bash e2e/run

## bench: the benchmark program's measurements on this machine (see README, "Benchmarks").
bench: deps
	$(SWIFT) build -c release --product station-bench
	$(SWIFT) build -c release --product station-agent
	$$($(SWIFT) build -c release --show-bin-path)/station-bench journal --scans 10000
	$$($(SWIFT) build -c release --show-bin-path)/station-bench burst --scanners 8 --rate 20 --seconds 60
	mkdir -p /dev/shm/station-bench && $$($(SWIFT) build -c release --show-bin-path)/station-bench burst --scanners 8 --rate 20 --seconds 60 --data-dir /dev/shm/station-bench; rm -rf /dev/shm/station-bench
	$$($(SWIFT) build -c release --show-bin-path)/station-bench agent --idle-seconds 60

clean:
	rm -rf .build

# ---- Installing and packaging -------------------------------------------------------------
PREFIX ?= /usr
DESTDIR ?=
VERSION := $(shell sed -n 's/.*static let current = "\(.*\)"/\1/p' Sources/StationAgentCLI/StationAgentCommand.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
RELEASE_BIN := .build/release/station-agent

.PHONY: install deb static

## static: the release binary with the Swift runtime linked in (what goes on the box).
static: deps
	$(SWIFT) build -c release --static-swift-stdlib --product station-agent
	strip $(RELEASE_BIN)

## install: binary, unit, udev rules, example configuration, spoken prompts (zh, en), user, group and data directory.
install: static
	install -D -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/station-agent
	install -D -m 0644 deploy/station-agent.service $(DESTDIR)/lib/systemd/system/station-agent.service
	install -D -m 0644 deploy/upload-network.conf $(DESTDIR)$(PREFIX)/share/station-agent/upload-network.conf
	install -D -m 0644 deploy/voice-sound.conf $(DESTDIR)$(PREFIX)/share/station-agent/voice-sound.conf
	bash deploy/make-prompts $(DESTDIR)$(PREFIX)/share/station-agent/voice
	install -D -m 0644 udev-rules/70-station-agent.rules $(DESTDIR)/lib/udev/rules.d/70-station-agent.rules
	install -D -m 0644 deploy/station-agent.toml.example $(DESTDIR)/etc/station-agent/station-agent.toml.example
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/station-agent/README.md
	install -D -m 0644 deploy/station-agent-rollup.service $(DESTDIR)$(PREFIX)/share/doc/station-agent/examples/station-agent-rollup.service
	install -D -m 0644 deploy/station-agent-rollup.timer $(DESTDIR)$(PREFIX)/share/doc/station-agent/examples/station-agent-rollup.timer
	@if [ -z "$(DESTDIR)" ]; then \
		getent group station-agent >/dev/null || groupadd --system station-agent; \
		getent passwd station-agent >/dev/null || useradd --system --gid station-agent \
			--home-dir /var/lib/station-agent --no-create-home --shell /usr/sbin/nologin station-agent; \
		install -d -o station-agent -g station-agent -m 0750 /var/lib/station-agent /var/lib/station-agent/outbox; \
		command -v udevadm >/dev/null && { udevadm control --reload || true; udevadm trigger --subsystem-match=usb --action=change || true; }; \
		[ -d /run/systemd/system ] && systemctl daemon-reload || true; \
		echo "Installed. Start with: systemctl enable --now station-agent"; \
	fi

## deb: a .deb for this machine's architecture, built with dpkg-deb.
deb: static
	rm -rf dist/deb-root && mkdir -p dist/deb-root/DEBIAN
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/dist/deb-root SWIFT=$(SWIFT) static=
	install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm dist/deb-root/DEBIAN/
	printf '%s\n' /etc/station-agent/station-agent.toml.example > dist/deb-root/DEBIAN/conffiles
	{ echo "Package: station-agent"; echo "Version: $(VERSION)"; echo "Architecture: $(ARCH)"; \
	  echo "Maintainer: station-agent developers <station-agent@localhost>"; \
	  echo "Depends: libusb-1.0-0, libudev1, libsqlite3-0, libasound2, libssl3, libcurl4, libuvc0, libzxing2, libjpeg62-turbo, ca-certificates, tzdata, adduser"; \
	  echo "Section: misc"; echo "Priority: optional"; \
	  echo "Installed-Size: $$(du -sk dist/deb-root | cut -f1)"; \
	  echo "Description: parcel station scan logger for USB barcode scanners"; \
	  echo " Reads USB barcode scanners and camera release devices, journals every parcel in and out,"; \
	  echo " and writes daily count files for supervisors."; } > dist/deb-root/DEBIAN/control
	dpkg-deb --root-owner-group --build dist/deb-root dist/station-agent_$(VERSION)_$(ARCH).deb
	@echo "Built dist/station-agent_$(VERSION)_$(ARCH).deb"
