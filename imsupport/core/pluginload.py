"""
Finding the plugins of one kind (R-PLUG-1): twisted.plugin's drop-ins in the
``imsupport.plugins`` package that provide an interface, each configured
with its own ``[plugins.<name>]`` table and used only when it says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twisted.logger import Logger

log = Logger()


def enabledPlugins(interface: Any, options: Mapping[str, Mapping[str, Any]],
                   package: Any = None, kind: str = "Plugin") -> list[Any]:
    """The plugins in ``package`` (default imsupport.plugins) providing
    ``interface`` whose ``configure(table)`` returns True, by name. A
    plugin's ValueError is a configuration error naming its table."""
    from twisted.plugin import getPlugins

    import imsupport.plugins
    enabled = []
    for plugin in sorted(getPlugins(interface, package or imsupport.plugins),
                         key=lambda p: p.name):
        table = {key: value for key, value in options.get(plugin.name, {}).items()}
        try:
            wanted = plugin.configure(table)
        except ValueError as e:
            raise ValueError(f"plugins.{plugin.name}: {e}") from e
        if wanted:
            enabled.append(plugin)
            log.info("{kind} plugin {name} enabled", kind=kind, name=plugin.name)
    return enabled
