"""Print a notebook's cells as plain text (code in full, markdown shortened), to read it quickly.

Usage: python tools/show_notebook.py notebooks/part3/tricks.ipynb [--full-markdown]
"""

import json
import sys


def main(path: str, full_markdown: bool = False) -> None:
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code":
            print(f"--- [{index}] code {tags or ''}\n{source}")
        else:
            text = source if full_markdown else source[:300] + ("..." if len(source) > 300 else "")
            print(f"--- [{index}] markdown\n{text}")


if __name__ == "__main__":
    main(sys.argv[1], "--full-markdown" in sys.argv[2:])
