"""``orders/`` stays a set of rooms that import one another one way only.

The rooms are its subpackages (checkout, money, planning, ...); its top-level modules
(models, clock, pricing, stock, outbox, ...) are the base, each a node of its own. Every
import of a project module counts, at the top of a file or inside a function: an import
moved into a function to dodge a loop is still a loop. A test fails on:
- a loop between rooms or base modules;
- a loop between the modules of one room;
- an import inside a function that does not say why (start-up cost is a reason; an
  app's ``ready`` registers what the app needs and says so once).
"""

import ast
import functools
import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDERS = ROOT / "orders"
PROJECT = ("foodhub", "orders", "producers", "pickup_points")
SKIPPED = {"migrations", "management", "templatetags"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for path in ORDERS.rglob("*.py"):
        if SKIPPED.isdisjoint(path.relative_to(ORDERS).parts):
            found[module_name(path)] = path
    return found


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    """The file's syntax tree, parsed once for all the tests (0.3 s for the project)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules ``name`` (at ``path``) imports, wherever the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(syntax_tree(path)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # "from orders.money import payments" imports the module orders.money.payments;
            # "from orders.models import Order", the module orders.models.
            modules_named = {f"{source}.{alias.name}" for alias in node.names} & known
            targets.update(modules_named or {source})
    return {target for target in targets if target in known and target != name}


def node_of(name: str) -> str:
    """A room (orders.<room>) or a base module (orders.<module>)."""
    return ".".join(name.split(".")[:2])


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(path, name, set(found)) for name, path in found.items()}


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return result


def room_graph(modules_graph) -> dict[str, set[str]]:
    rooms = defaultdict(set)
    for name, targets in modules_graph.items():
        rooms[node_of(name)].update(node_of(t) for t in targets if node_of(t) != node_of(name))
    return rooms


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The reader itself: a loop hidden in a function, through relative imports, is found."""
    package = tmp_path / "orders"
    (package / "room").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "room" / "__init__.py").write_text("")
    (package / "room" / "a.py").write_text("from . import b\n")
    (package / "room" / "b.py").write_text("def f():\n    from .a import x\n")
    known = {"orders.room.a", "orders.room.b"}
    edges = {
        "orders.room.a": imported(package / "room" / "a.py", "orders.room.a", known),
        "orders.room.b": imported(package / "room" / "b.py", "orders.room.b", known),
    }
    assert loops(edges) == [["orders.room.a", "orders.room.b"]]


def test_no_loop_between_rooms():
    assert loops(room_graph(graph())) == []


def test_no_loop_between_the_modules_of_a_room():
    edges = graph()
    assert loops(edges) == []


def imports_inside_functions_without_a_reason(path: Path) -> list[int]:
    """Lines of imports inside a function with no comment on the line, ``ready`` aside."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for function in ast.walk(syntax_tree(path)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready" and path.name == "apps.py":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom) and "#" not in lines[node.lineno - 1]:
                found.append(node.lineno)
    return sorted(set(found))


def test_an_import_inside_a_function_says_why(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def a():\n    import json\n\ndef b():\n    import gc  # start-up cost\n")
    assert imports_inside_functions_without_a_reason(sample) == [2]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in project_files()
        for line in imports_inside_functions_without_a_reason(path)
    ]
    assert offenders == []


def project_files() -> list[Path]:
    """Every module of the project's packages, migrations aside."""
    return [
        path
        for package in PROJECT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_loop_between_any_modules_of_the_project():
    """Beyond ``orders``: a page model and the selectors it calls, an app and its
    services... (the content pages' selectors once imported the page models back)."""
    found = {module_name(path): path for path in project_files()}
    known = set(found)
    assert loops({name: imported(path, name, known) for name, path in found.items()}) == []


SEEDS = [1, 2, 3]

# Django is set up once; each order is then imported in a process forked from that one,
# the same as a fresh interpreter just set up (and 1.6 s cheaper than starting one).
IMPORT_IN_ORDERS = """
import importlib, json, os, sys, traceback, django
django.setup()
errors = {}
for seed, names in json.loads(sys.argv[1]).items():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            for name in names:
                importlib.import_module(name)
        except BaseException:
            os.write(write, traceback.format_exc().encode())
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        errors[seed] = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    if status and not errors[seed]:
        errors[seed] = f"exit status {status}"
print(json.dumps(errors))
"""


@pytest.fixture(scope="module")
def import_errors() -> dict[str, str]:
    """Each seed's error (empty: none), importing the modules of ``orders`` one by one in
    the order the seed shuffles them."""
    orders = {}
    for seed in SEEDS:
        names = sorted(modules())
        random.Random(seed).shuffle(names)
        orders[seed] = names
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_IN_ORDERS, json.dumps(orders)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("seed", SEEDS)
def test_every_module_imports_in_any_order(seed, import_errors):
    """In a fresh interpreter, the modules of ``orders`` imported one by one in a shuffled
    order: none needs another to have been imported first."""
    assert import_errors[str(seed)] == "", import_errors[str(seed)][-2000:]
