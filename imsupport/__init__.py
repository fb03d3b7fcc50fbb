"""imsupport: customer support over instant messaging."""

__version__ = "0.1.0"
