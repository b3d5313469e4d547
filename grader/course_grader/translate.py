"""What the grader's values become on their way to the worker, and the worker's on their way back.

Outgoing (arguments of calls): plain data; handles as references; standard ``torch.nn``
modules as descriptions (:mod:`course_grader.modules`), remembered so that the worker's
changes to them (in-place training) are copied back after the call; library functions and
classes by module and name; anything else is refused. Tensors and arrays never come back: a
test's inputs cannot be changed by the student's code. With each call go the states of the
grader's random generators (:mod:`course_grader.rng`): a test that seeds
(``torch.manual_seed(0); net = make_model()``) gets the network the notebook would give, and
two calls in a row get different random numbers, as in a notebook.

Incoming: plain data; handles; module descriptions, rebuilt with the grader's ``torch.nn``;
named tuples, rebuilt with the grader's class of the same name and fields when there is one.
"""

from __future__ import annotations

import sys
from typing import Any

from course_grader.channel import ChannelError
from course_grader.codec import Encoder, encode
from course_grader.handles import Operator, RemoteHandle
from course_grader.rebuild import Rebuilder, decode
from course_grader.remote import WorkerDied


def named_tuple(node: dict[str, Any], namespace: dict[str, Any]) -> Any:
    """Rebuild a named tuple with a class of this side: the namespace's class of that name, or
    the library class of that module and name, if it has the same fields; None otherwise."""
    module, _, name = node["name"].rpartition(".")
    found = namespace.get(name)
    if found is None and module in sys.modules and module != "__main__":
        found = getattr(sys.modules[module], name, None)
    if isinstance(found, type) and issubclass(found, tuple):
        if list(getattr(found, "_fields", ())) == node["fields"]:
            return found(*node["values"])
    return None


def importable(obj: Any) -> dict[str, str] | None:
    """A reference by module and name to a library function or class, if it has one."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    if module == "__main__" or module not in sys.modules:
        return None
    value: Any = sys.modules[module]
    for part in name.split("."):
        value = getattr(value, part, None)
    return {"$": "import", "module": module, "name": name} if value is obj else None


class Translator:
    """The value translation of one session, with its memory of modules."""

    def __init__(self, session: Operator) -> None:
        self.session = session
        self.generation = 0
        self.namespace: dict[str, Any] = {}
        self.memo: dict[Any, Any] = {}  # the worker's module ids -> the grader's modules
        self.sent: dict[int, Any] = {}  # id -> module, for the request in flight

    def new_worker(self, generation: int) -> None:
        """Forget what belonged to the previous worker."""
        self.generation, self.memo = generation, {}

    def outgoing(self, obj: Any, encoder: Encoder) -> dict[str, Any]:
        """The encoder's hook for values that are not plain data."""
        if isinstance(obj, RemoteHandle):
            if object.__getattribute__(obj, "_generation") != self.generation:
                raise WorkerDied("this object belonged to a worker that has stopped")
            return {"$": "ref", "id": object.__getattribute__(obj, "_id")}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.nn.Module):
            from course_grader import modules

            if modules.describable(obj):
                self.sent[id(obj)] = obj
                origin = next((k for k, v in self.memo.items() if v is obj), None)
                return modules.describe(obj, encoder.encode, origin)
        reference = importable(obj)
        if reference is None:
            raise TypeError(f"a {type(obj).__name__} cannot be passed to the student's code")
        return reference

    def incoming(self, node: dict[str, Any], rebuilder: Rebuilder) -> Any:
        """The rebuilder's hook for handles, modules and named tuples."""
        tag = node.get("$")
        if tag == "namedtuple":
            return named_tuple(node, self.namespace)
        if tag == "handle":
            return RemoteHandle(self.session, self.generation, node)
        if tag == "module" and "torch" in sys.modules:
            from course_grader import modules

            return modules.rebuild(node, rebuilder.decode, self.memo)
        raise ChannelError(f"unexpected {tag!r} from the worker")

    def request(self, args: tuple, kwargs: dict) -> tuple[Any, list[bytes]]:
        """Encode the arguments of a request."""
        self.sent = {}
        return encode([list(args), kwargs], 1 << 40, self.outgoing)

    def decode(self, tree: Any, buffers: list[bytes]) -> Any:
        """Decode a value from the worker."""
        return decode(tree, buffers, self.incoming)

    def take_back(self, reply: dict[str, Any], buffers: list[bytes]) -> None:
        """Copy into the grader's modules what the call did to them in the worker."""
        from course_grader import modules

        rebuilder = Rebuilder(buffers, self.incoming)
        for entry in reply.get("modules_after") or []:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
                raise ChannelError("malformed module list")
            original = self.sent.get(entry[0]) if type(entry[0]) is int else None
            if original is not None and modules.refresh(original, entry[1], rebuilder.decode):
                self.memo[entry[1]["id"]] = original
