"""The C library as an app gets it: scripts/test_c_install.sh installs native/ with `cmake --install`,
builds native/examples/ against the installed package only (find_package(edgenet), shared and
static), and checks its classifications of digits images against the numpy reference executor."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CMAKE = shutil.which("cmake") or shutil.which("cmake", path=os.path.dirname(sys.executable))


@pytest.mark.skipif(CMAKE is None, reason="cmake is not installed (pip install cmake)")
@pytest.mark.skipif(sys.platform == "win32", reason="the script is bash; on Windows CI builds the library with MSVC")
def test_example_builds_against_the_installed_library_and_classifies(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "PATH": f"{os.path.dirname(CMAKE)}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(ROOT / "scripts" / "test_c_install.sh"), str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    installed = tmp_path / "prefix"
    assert (installed / "include" / "edgenet.h").is_file()
    assert list(installed.glob("lib*/cmake/edgenet/edgenetConfigVersion.cmake"))
    for linkage in ("shared", "static"):
        assert f"{linkage}: 8 images, 0 mismatches" in result.stdout
