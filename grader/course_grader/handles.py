"""Stand-ins, on the trusted side, for the student's objects that are not plain data.

A :class:`RemoteHandle` names an object that stays in the worker (a function, a class, an
``nn.Module``...). Calling it, reading or setting an attribute, indexing it, ``len`` and
iteration are requests to the worker, whose answers are plain data or new handles. A handle
cannot be compared, hashed or used as a truth value: a test must convert it to plain data
first (call it, read an attribute...), so that an object whose ``__eq__`` always answers True
never reaches a comparison. ``isinstance(handle, torch.nn.Module)`` works: ``__class__``
answers the first class of the remote object's MRO that is already imported here, outside
``__main__``, and is not a plain-data class (it is looked up, never imported);
``type(handle)`` is always RemoteHandle.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from course_grader.remote import GradingStop, MissingName


class Operator(Protocol):
    """What a handle needs from its session: one request to the worker."""

    def operate(self, op: str, handle: RemoteHandle, args: tuple, kwargs: dict) -> Any:
        """Carry out ``op`` on the object ``handle`` names and return plain data or handles."""


def _refuse(*_: Any) -> Any:
    raise TypeError(
        "this is an object of the student's code that is not plain data; convert it first "
        "(call it, read an attribute, index it) and compare the result"
    )


def _plain_bases() -> tuple[type, ...]:
    """Classes a handle never claims: their honest instances always cross as plain data."""
    bases: list[type] = [
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        list,
        tuple,
        dict,
        set,
        frozenset,
        type,
        BaseException,
    ]
    for module, names in (("torch", ("Tensor",)), ("numpy", ("ndarray", "generic"))):
        if module in sys.modules:
            bases += [getattr(sys.modules[module], name) for name in names]
    return tuple(bases)


def _local_class(mro: list[str]) -> type | None:
    """The first class named in ``mro`` that this process already imported, outside
    ``__main__``, and that is not a plain-data class (so ``isinstance(handle, nn.Module)`` or
    ``isinstance(handle, LayerSummary)`` works). It is looked up, never imported."""
    plain = _plain_bases()
    for name in mro:
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = sys.modules.get(".".join(parts[:cut]))
            if module is None or module.__name__ == "__main__":
                continue
            value: Any = module
            for part in parts[cut:]:
                value = getattr(value, part, None)
            if isinstance(value, type) and value is not object and not issubclass(value, plain):
                return value
            break
    return None


class RemoteHandle:
    """An object of the student's code, kept in the worker and reached by requests."""

    __slots__ = ("_session", "_generation", "_id", "_type", "_mro", "_callable")

    def __init__(self, session: Operator, generation: int, node: dict[str, Any]) -> None:
        mro = node.get("mro")
        if type(node.get("id")) is not int or not isinstance(mro, list):
            raise ValueError("malformed handle")
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_id", node["id"])
        object.__setattr__(self, "_mro", [str(name)[:200] for name in mro[:16]])
        object.__setattr__(self, "_type", self._mro[0] if self._mro else "object")
        object.__setattr__(self, "_callable", node.get("callable") is True)

    def _op(self, op: str, *args: Any, **kwargs: Any) -> Any:
        return self._session.operate(op, self, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._op("call", *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._op("getattr", name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._op("setattr", name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._op("getitem", key)

    def __len__(self) -> int:
        value = self._op("len")
        if type(value) is not int or value < 0:
            raise TypeError("len() of the student's object is not a non-negative int")
        return value

    def __iter__(self) -> Any:
        value = self._op("list")
        if type(value) is not list:
            raise TypeError("the student's object did not iterate to a list")
        return iter(value)

    def __next__(self) -> Any:
        return self._op("next")

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self._op("deepcopy")

    def __copy__(self) -> Any:
        return self._op("deepcopy")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("the student's objects cannot be pickled")

    def __str__(self) -> str:
        value = self._op("str")
        return value if type(value) is str else repr(self)

    def __repr__(self) -> str:
        return f"<student's {self._type} object>"

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105
        return _local_class(self._mro) or RemoteHandle

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __array__ = _refuse
    __hash__ = None  # type: ignore[assignment]


class Missing:
    """Stands for a name the student's notebook does not define: any use stops the test.

    ``stop`` is raised instead of :class:`MissingName` when the name is missing for another
    reason (a given cell that uses the student's code failed).
    """

    __slots__ = ("_name", "_stop_with")

    def __init__(self, name: str, stop: GradingStop | None = None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_stop_with", stop)

    def _stop(self, *_: Any, **__: Any) -> Any:
        if self._stop_with is not None:
            raise self._stop_with
        raise MissingName(f"your notebook does not define {self._name!r}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._stop()

    def __repr__(self) -> str:
        return f"<missing {self._name}>"

    __call__ = __getitem__ = __iter__ = __len__ = __bool__ = __setattr__ = _stop
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __array__ = _stop
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __matmul__ = _stop
    __hash__ = None  # type: ignore[assignment]
