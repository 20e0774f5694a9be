"""What importing stage 03 costs and changes (issue 13: import less; warm kernels import it all).

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import subprocess
import sys


def fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_report_labels_do_not_import_scipy():
    out = fresh(
        "import sys\n"
        "from her2cr.reporting import context\n"
        "from her2cr.ctdna.labels import analysis_title\n"
        "title = analysis_title('subgroup_presentation=de_novo')\n"
        "print(title, 'scipy' in sys.modules, 'her2cr.ctdna.analyses' in sys.modules)\n")
    assert out == "Subgroup: presentation = de novo False False"


def test_the_analyses_are_served_on_first_use():
    out = fresh(
        "import sys\n"
        "from her2cr import ctdna\n"
        "before = 'her2cr.ctdna.analyses' in sys.modules\n"
        "f = ctdna.all_results\n"
        "print(before, f.__module__, 'scipy' in sys.modules)\n")
    assert out == "False her2cr.ctdna.analyses True"


def test_importing_the_figures_chooses_no_backend():
    out = fresh(
        "import os\n"
        "os.environ['MPLBACKEND'] = 'svg'\n"
        "import matplotlib\n"
        "before = matplotlib.rcParams['backend']\n"
        "from her2cr.ctdna import figures\n"
        "after_import = matplotlib.rcParams['backend']\n"
        "figures.setup_style()\n"
        "print(before, after_import, matplotlib.get_backend())\n")
    assert out.lower() == "svg svg agg"
