"""Stand-in for the pip bootstrap script ansible-test downloads into its sanity venvs.

ansible-test fetches get-pip-<version>.py from a host this project's machines cannot reach, but it uses
a copy found at ~/.ansible/test/cache/get_pip_<version>.py. This one does the same job with what every
CPython has: ensurepip provides a pip, which then installs the exact versions ansible-test asked for
from the package index configured for pip.
"""

import subprocess
import sys

# get-pip.py takes its own flags for setuptools/wheel; pip itself does not know them.
OWN_FLAGS = {"--no-setuptools", "--no-wheel"}


def main():
    args = [a for a in sys.argv[1:] if a not in OWN_FLAGS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
