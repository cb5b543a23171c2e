"""The five platform adapters; `core/platforms.py` names each one's title and adapter class."""
