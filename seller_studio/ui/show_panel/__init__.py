"""The show panel (issue 6): widgets over ``seller_studio.show.controller.ShowController``."""

from seller_studio.ui.show_panel.panel import ShowPanel

__all__ = ["ShowPanel"]
