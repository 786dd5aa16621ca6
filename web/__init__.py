"""The Flask site: public search, API, feeds, staff and admin pages."""
