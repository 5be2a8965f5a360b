"""Where an array lives (PyGeNN's ``VarLocation``): on the host and the device, or on the device only.

Every array handle carries a ``location``, set from the model's ``default_var_location`` when its group is added
and changed with the group's ``set_*_location`` methods (or location properties) before ``build()``.  The CPU
backend keeps one copy, the CUDA backend a host mirror of every array, so a location changes no memory; what it
changes is what the user may touch, exactly as in PyGeNN: an array located on the ``DEVICE`` only has no host
copy to view, read, write, pull or push.
"""

from __future__ import annotations

from ..compiler.errors import ModelError
from .enums import VarLocation, VarLocationAttribute


def check_location(location, owner: str) -> VarLocation:
    """``location`` as a :class:`VarLocation`, or a clear error."""
    valid = {int(v): v for v in VarLocation.__members__.values()}
    if isinstance(location, bool) or not isinstance(location, int) or int(location) not in valid:
        raise ModelError(f"{owner}: {location!r} is not a location; use one of "
                         f"{', '.join('VarLocation.' + n for n in VarLocation.__members__)}")
    return valid[int(location)]


def default_location(model) -> VarLocation:
    default = getattr(model, "default_var_location", None)
    return VarLocation.HOST_DEVICE if default is None else check_location(default, "default_var_location")


def require_host(array) -> None:
    """Refuse host access to an array located on the device only."""
    location = getattr(array, "location", VarLocation.HOST_DEVICE)
    if not location & VarLocationAttribute.HOST:
        raise ModelError(f"'{array.name}' of '{array.group.name}' is located on the device only "
                         f"({VarLocation(location).name}): it has no host copy; set its location to "
                         "VarLocation.HOST_DEVICE before build() to read or write it")


class Located:
    """The location methods of a group, over its tables of arrays (``vars``, ``pre_vars``, ...)."""

    def _set_location(self, table: dict, kind: str, name: str, location) -> None:
        self._check_not_built()
        if name not in table:
            raise ModelError(f"'{self.name}' has no {kind} '{name}'; it has {sorted(table) or 'none'}")
        table[name].location = check_location(location, f"'{self.name}' {kind} '{name}'")

    def _get_location(self, table: dict, kind: str, name: str) -> VarLocation:
        if name not in table:
            raise ModelError(f"'{self.name}' has no {kind} '{name}'; it has {sorted(table) or 'none'}")
        return table[name].location

    def set_var_location(self, name: str, location) -> None:
        """Where variable ``name`` lives (before ``build()``)."""
        self._set_location(self.vars, "variable", name, location)

    def get_var_location(self, name: str) -> VarLocation:
        return self._get_location(self.vars, "variable", name)


def array_location_property(attribute: str, doc: str) -> property:
    """A group property (``spike_time_location``, ``output_location``, ...) that is the location of one array."""

    def getter(self) -> VarLocation:
        return getattr(self, attribute).location

    def setter(self, location) -> None:
        self._check_not_built()
        getattr(self, attribute).location = check_location(location, f"'{self.name}' {attribute}")

    return property(getter, setter, doc=doc)
