# python/python.mk - the hallmark Python package (pure ctypes).
#
# `make install` also installs it for Debian's /usr/bin/python3 into
# PYTHON_SITEDIR (default $(LIBDIR)/python3.X/dist-packages, on Debian's
# sys.path for PREFIX=/usr/local) and records where libhallmark.so.0 was
# installed in hallmark/_libpath.py, so `import hallmark` finds it without
# ldconfig.  `make uninstall` removes it.  From a tree, without installing:
#   /usr/bin/python3 -m venv --system-site-packages V
#   V/bin/pip install --no-build-isolation --no-index python/

PYTHON ?= /usr/bin/python3
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHON_SITEDIR ?= $(LIBDIR)/python$(PYTHON_VERSION)/dist-packages
PY_FILES := $(wildcard python/hallmark/*.py)

.PHONY: install-python uninstall-python
install: install-python
uninstall: uninstall-python

install-python: $(SHARED)
	install -d $(DESTDIR)$(PYTHON_SITEDIR)/hallmark
	install -m 644 $(filter-out python/hallmark/_libpath.py,$(PY_FILES)) $(DESTDIR)$(PYTHON_SITEDIR)/hallmark/
	printf '%s\n' '# written by make install' 'LIB_PATH = "$(LIBDIR)/libhallmark.so.$(SOVERSION)"' \
	  > $(DESTDIR)$(PYTHON_SITEDIR)/hallmark/_libpath.py

uninstall-python:
	rm -rf $(DESTDIR)$(PYTHON_SITEDIR)/hallmark
