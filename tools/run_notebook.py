"""Executes notebooks with nbclient, so that they cannot rot (`make test`).

python tools/run_notebook.py examples/notebooks/*.ipynb
"""

import sys

import nbclient
import nbformat


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        svgs = sum(
            1
            for cell in nb.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if "image/svg+xml" in out.get("data", {})
        )
        print(f"{path}: every cell ran ({svgs} sequence diagrams)")


if __name__ == "__main__":
    main(sys.argv[1:])
