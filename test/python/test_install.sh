#!/usr/bin/env bash
# cmake --install --component python into PREFIX, then: the installed
# package (not the source tree) imports with Debian's python3, and pytest
# finds the plugin through its pytest11 entry point (no -p needed).
set -euo pipefail
cmake=$1 build=$2 python=$3 prefix=$4
rm -rf "$prefix"
"$cmake" --install "$build" --component python --prefix "$prefix" >/dev/null
minor=$("$python" -c 'import sys; print(sys.version_info[1])')
site="$prefix/lib/python3.$minor/dist-packages"
[ -f "$site/mlcore_agent/__init__.py" ] || { echo "not installed in $site"; exit 1; }
[ -f "$site/mlcore_agent-"*.dist-info/entry_points.txt ] || { echo "no dist-info"; exit 1; }
cd "$prefix"
where=$(env -u PYTHONPATH PYTHONPATH="$site" "$python" -c \
  'import mlcore_agent, os; print(os.path.dirname(mlcore_agent.__file__))')
[ "$where" = "$site/mlcore_agent" ] || { echo "imported from $where"; exit 1; }
eps=$(PYTHONPATH="$site" "$python" -c \
  'from importlib.metadata import entry_points as e; print([x.value for x in e(group="pytest11")])')
case $eps in *mlcore_agent.pytest_plugin*) ;; *) echo "no pytest11 entry point: $eps"; exit 1;; esac
mkdir -p t && printf 'def test_x(mlcore_instance_factory):\n    pass\n' > t/test_ep.py
PYTHONPATH="$site" "$python" -m pytest -q -p no:cacheprovider t/test_ep.py >/dev/null \
  || { echo "pytest did not load the plugin from the entry point"; exit 1; }
rm -rf "$prefix"
echo "installed and registered: $site"
