# OligoPlan: two commands set everything up on a fresh machine.
#   make run    create .venv if missing, install, open the GUI on the sample case
#   make test   create .venv if missing, install the test extra, run every test offscreen
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Qt's system libraries on Debian/Ubuntu (see ../shared/docs/stack-notes.md)
QT_APT := libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 fonts-dejavu-core \
          libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
          libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1
QT_LIBS := libEGL.so.1 libGL.so.1 libfontconfig.so.1 libxkbcommon.so.0 libdbus-1.so.3 libglib-2.0.so.0
# a real window (make run) also needs Qt's xcb platform plugin and its libraries;
# libxcb-cursor0 is the one a desktop most often lacks (Qt >= 6.5 will not start without it)
WINDOW_LIBS := $(QT_LIBS) libxkbcommon-x11.so.0 libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-image.so.0 \
          libxcb-keysyms.so.1 libxcb-randr.so.0 libxcb-render-util.so.0 libxcb-shape.so.0 libxcb-xkb.so.1

.PHONY: run test bench samples qt-deps qt-window-deps clean

run: qt-window-deps $(STAMP)
	$(BIN)/oligoplan

test: qt-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q --durations=25

bench: qt-deps $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/oligoplan bench load
	QT_QPA_PLATFORM=offscreen $(BIN)/oligoplan bench render

samples: $(STAMP)
	$(BIN)/python sample_scans/generate.py --out sample_scans

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# Installs Qt's system libraries when they are missing: with apt as root,
# otherwise prints the command to run. qt-deps: what the offscreen tests need;
# qt-window-deps: what a window on the desktop needs too.
CHECK_LIBS ?= $(QT_LIBS)
qt-deps:
	@if [ "$$(uname)" = Linux ] && command -v ldconfig >/dev/null; then \
	  missing=""; for lib in $(CHECK_LIBS); do \
	    ldconfig -p | grep -q "$$lib" || missing="$$missing $$lib"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "Qt needs system libraries that are missing:$$missing"; \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(QT_APT); \
	    else \
	      echo "Run:  sudo apt-get install -y --no-install-recommends $(QT_APT)"; exit 1; \
	    fi; \
	  fi; \
	fi

qt-window-deps:
	@$(MAKE) --no-print-directory qt-deps CHECK_LIBS='$(WINDOW_LIBS)'

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
