"""CrewAI is optional: pgflowstate works without it (this module never imports crewai)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_pgflowstate_without_crewai():
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'crewai' or name.startswith('crewai.'):\n"
        "            raise ImportError('crewai is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import pgflowstate, pgflowstate.cli\n"
        "assert pgflowstate.FlowStateStore and 'crewai' not in sys.modules\n"
        "try:\n"
        "    import pgflowstate.crewai\n"
        "except ImportError as exc:\n"
        "    print('IMPORT ERROR:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install 'pgflowstate[crewai]'" in done.stdout
