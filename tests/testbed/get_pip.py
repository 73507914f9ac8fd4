"""Stand-in for the pip bootstrap script ansible-test downloads (no such host is reachable here).

ansible-test runs it with the pip arguments it wants; this bootstraps pip from the interpreter's
own ensurepip, then installs what was asked for from the package index.
"""

import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
if args:
    subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args, check=True)
