# The two commands of the course: `make book` builds the HTML book, `make test` runs every test.
# Both install what they need first: into the active virtual environment if there is one,
# otherwise into .venv (created on first use).

ifdef VIRTUAL_ENV
ENV_DIR := $(VIRTUAL_ENV)
else
ENV_DIR := .venv
endif
PYTHON := $(ENV_DIR)/bin/python
STAMP := $(ENV_DIR)/.course-installed

# The profile the chapters run in: `quick` unless the caller says otherwise
# (`COURSE_PROFILE=full make book` on a GPU machine with internet builds the full edition).
COURSE_PROFILE ?= quick
export COURSE_PROFILE

.PHONY: install book test browser smoke exercises clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml grader/pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(ENV_DIR)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: install
	COURSE_PROGRESS=0 $(ENV_DIR)/bin/jupyter-book build . --warningiserror --keep-going
	$(PYTHON) tools/check_site.py _build/html

test: install browser
	COURSE_PROFILE=quick COURSE_OFFLINE=1 OMP_NUM_THREADS=1 $(PYTHON) -m pytest --durations=25

# The full edition's settings, run to the last cell of every chapter on stand-ins of the real
# datasets' shapes, with at most two steps per epoch (see course_lib.profile): proof that the
# full edition runs, on a machine without a GPU or the data. Prints each chapter's time. The
# decoding chapter and then the one that reads the networks it saves run on one worker, from the
# start (the longest chain); the other chapters share the other workers.
smoke: install
	COURSE_PROFILE=full COURSE_OFFLINE=1 COURSE_SMOKE=1 COURSE_PROGRESS=0 OMP_NUM_THREADS=1 \
		$(PYTHON) tools/run_chapters.py --chain notebooks/part4/decoding.ipynb \
		--chain notebooks/part4/complexity_and_decoding.ipynb notebooks solutions

# The browser the tests open the built pages in (tools/check_browser.py): Debian's chromium,
# installed when missing and we are root with apt-get; otherwise CHROMIUM names one.
browser:
	@command -v chromium >/dev/null || [ -n "$$CHROMIUM" ] || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "make: no chromium: install it (apt-get install chromium) or set CHROMIUM"; fi

exercises: install
	$(PYTHON) -m course_lib.exercises solutions exercises

clean:
	rm -rf _build
