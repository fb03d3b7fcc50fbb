"""twistd plugin: ``twistd -n imsupport --config etc/imsupport.toml``."""
from twisted.application.service import ServiceMaker

imsupport = ServiceMaker(
    "imsupport",
    "imsupport.tap",
    "Customer support over instant messaging (XMPP component)",
    "imsupport",
)
