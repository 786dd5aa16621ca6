"""The Flask site: public search, API, feeds, staff and admin pages."""
from web.app import BLUEPRINTS, create_app

__all__ = ["BLUEPRINTS", "create_app"]
