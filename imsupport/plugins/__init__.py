"""Drop-in package for imsupport plugins, found through twisted.plugin."""
from twisted.plugin import pluginPackagePaths

__path__.extend(pluginPackagePaths(__name__))
__all__: list[str] = []
